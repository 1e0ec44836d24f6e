"""The Parquet lake: every accepted batch, immutable, one file per (source, index, batch).

Layout: <lake>/daily_close/source=<source>/index_code=<code>/batch-<id>.parquet, where <id> is a
hash of the batch's content. The same content lands once: landing it again writes nothing.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

# What identifies a batch's content: not when it was extracted, only what it says.
_CONTENT = ["index_code", "trade_date", "close", "source", "source_symbol"]

SCHEMA = pa.schema(
    [
        ("trade_date", pa.date32()),
        ("close", pa.float64()),
        ("source_symbol", pa.string()),
        ("extracted_at", pa.timestamp("us", tz="UTC")),
        ("batch_id", pa.string()),
        ("landed_at", pa.timestamp("us", tz="UTC")),
    ]
)


def batch_id(batch: pd.DataFrame) -> str:
    """Content hash; works on a malformed batch too, so a rejected batch has an id as well."""
    present = [c for c in _CONTENT if c in batch.columns] + sorted(c for c in batch.columns if c not in _CONTENT)
    present = [c for c in present if c != "extracted_at"]
    keys = [c for c in ("index_code", "trade_date") if c in batch.columns]
    ordered = batch[present].sort_values(keys)
    # The CSV text hashed in blocks (the same bytes as one to_csv): a 10 M-row batch's text would
    # otherwise be held whole, twice (str and bytes).
    digest = hashlib.sha256()
    for start in range(0, max(len(ordered), 1), _HASH_BLOCK):
        block = ordered.iloc[start : start + _HASH_BLOCK]
        digest.update(block.to_csv(index=False, header=start == 0, date_format="%Y-%m-%d").encode())
    return digest.hexdigest()[:16]


_HASH_BLOCK = 500_000


def file_path(lake_dir: Path, source: str, code: str, bid: str) -> Path:
    return lake_dir / "daily_close" / f"source={source}" / f"index_code={code}" / f"batch-{bid}.parquet"


def relative_paths(batch: pd.DataFrame) -> set[str]:
    """The lake paths (relative, as the commit log names them) a batch lands as."""
    bid = batch_id(batch)
    groups = batch[["source", "index_code"]].drop_duplicates().itertuples(index=False)
    return {file_path(Path("."), s, c, bid).as_posix() for s, c in groups}


def land(batch: pd.DataFrame, lake_dir: Path) -> list[Path]:
    """Write a validated batch into the lake; return its files (already there or new).

    Landing is not committing: the files count only once the run's commit lists them.
    """
    bid = batch_id(batch)
    landed_at = pd.Timestamp(datetime.now(UTC))
    paths: list[Path] = []
    for (source, code), rows in batch.groupby(["source", "index_code"], sort=True):
        target = file_path(lake_dir, source, code, bid)
        paths.append(target)
        if target.exists():
            continue  # identical content, committed and verified before this run landed it; never rewritten
        frame = rows.sort_values("trade_date").assign(
            trade_date=lambda f: f["trade_date"].dt.date, batch_id=bid, landed_at=landed_at
        )
        frame.attrs = {}  # pyarrow would store the source's notes (rows left out) in the file's metadata
        table = pa.Table.from_pandas(frame[SCHEMA.names], schema=SCHEMA, preserve_index=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        pq.write_table(table, partial)
        # A reader globbing *.parquet never sees a half-written file: publish by rename.
        os.replace(partial, target)
    return paths
