"""Run records (what each run did, what the gate said), kept as Parquet beside the lake.

Like the closes, records live in files and the warehouse is rebuilt from them (as `meta.*`), so
a rebuilt warehouse loses no history. Layout: <lake>/meta/<table>/<record_id>.parquet.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

_TS = pa.timestamp("us", tz="UTC")

SCHEMAS: dict[str, pa.Schema] = {
    "pipeline_runs": pa.schema(
        [
            ("flow_run_id", pa.string()),
            ("run_name", pa.string()),
            ("week_ending", pa.date32()),
            ("source", pa.string()),
            ("batch_id", pa.string()),
            ("rows", pa.int64()),
            ("gate_status", pa.string()),  # passed | failed
            ("started_at", _TS),
            ("finished_at", _TS),
            ("duration_s", pa.float64()),
            ("outputs", pa.string()),  # JSON object of paths, or the failure reason
        ]
    ),
    "validation_results": pa.schema(
        [
            ("flow_run_id", pa.string()),
            ("run_name", pa.string()),
            ("batch_id", pa.string()),
            ("suite", pa.string()),
            ("expectation", pa.string()),
            ("severity", pa.string()),  # error | warning
            ("success", pa.bool_()),
            ("unexpected_count", pa.int64()),
            ("sample", pa.string()),  # JSON list of example rows
            ("validated_at", _TS),
        ]
    ),
    "revisions": pa.schema(
        [
            ("flow_run_id", pa.string()),
            ("run_name", pa.string()),
            ("batch_id", pa.string()),
            ("index_code", pa.string()),
            ("trade_date", pa.date32()),
            ("published_close", pa.float64()),  # what the warehouse held
            ("close", pa.float64()),  # what the batch says
            ("change", pa.float64()),  # close / published_close - 1
            ("accepted", pa.bool_()),  # landed (the run allowed revisions and the batch passed)
            ("found_at", _TS),
        ]
    ),
    # A backfill's checkpoint: one record per chunk landed; a resumed backfill skips these.
    "backfill_chunks": pa.schema(
        [
            ("chunk_key", pa.string()),  # hash of source_ref, chunk_start, chunk_end
            ("source", pa.string()),
            ("source_ref", pa.string()),  # the source, and the file for a CSV
            ("chunk_start", pa.date32()),
            ("chunk_end", pa.date32()),  # last session of the chunk's last week
            ("weeks", pa.int64()),
            ("rows", pa.int64()),
            ("indices", pa.string()),  # comma-separated index codes the chunk held
            ("batch_id", pa.string()),
            ("flow_run_id", pa.string()),
            ("completed_at", _TS),
        ]
    ),
}


def record_path(lake_dir: Path, table: str, record_id: str) -> Path:
    return lake_dir / "meta" / table / f"{record_id}.parquet"


def write_file(path: Path, table: str, rows: list[dict[str, Any]]) -> Path:
    """Rows of `table` as one Parquet file at `path` (a staged name: the caller publishes it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMAS[table]), path)
    return path


def write(lake_dir: Path, table: str, rows: list[dict[str, Any]], record_id: str) -> Path:
    """Write rows as one immutable record file now; the same record_id is written once."""
    target = record_path(lake_dir, table, record_id)
    if target.exists():
        return target
    partial = write_file(target.with_name(f".{target.name}.{os.getpid()}.tmp"), table, rows)
    os.replace(partial, target)
    return target


def read_all(lake_dir: Path, table: str) -> pa.Table:
    """Every record of a table (empty, with its schema, when there are none). Staged files are not records yet."""
    folder = lake_dir / "meta" / table
    files = sorted(f for f in folder.glob("*.parquet") if not f.name.startswith(".")) if folder.is_dir() else []
    if not files:
        return SCHEMAS[table].empty_table()
    return pa.concat_tables([pq.read_table(f, schema=SCHEMAS[table]) for f in files])


def with_rows(existing: pa.Table, table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """`existing` records plus rows not written yet (a run's own, staged for its release)."""
    if not rows:
        return existing
    return pa.concat_tables([existing, pa.Table.from_pylist(rows, schema=SCHEMAS[table])])
