"""The committed truth: each index's close per day from the committed lake files, the latest commit winning.

This is what every revision check compares a new batch with, whether or not a warehouse exists.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from smallcap.lake.commits import Live
from smallcap.lake.paths import literals

_QUERY = """
select r.index_code, r.trade_date, r.close
from read_parquet(getvariable('files'), hive_partitioning = true, union_by_name = true, filename = true) as r
join committed_file as f on f.file = r.filename
where r.trade_date between getvariable('first') and getvariable('last')
qualify row_number() over (partition by r.index_code, r.trade_date order by f.seq desc) = 1
"""


def committed_file_frame(
    lake_dir: Path, live: Mapping[str, Live], codes: Collection[str] | None = None
) -> pd.DataFrame:
    """(file, seq) of the committed daily-close files, optionally of some indices only."""
    rows = [
        (str(lake_dir / entry.path), entry.seq)
        for entry in live.values()
        if entry.path.startswith("daily_close/") and (codes is None or _index_code(entry.path) in codes)
    ]
    return pd.DataFrame(rows, columns=["file", "seq"]).astype({"file": "str", "seq": "int64"})


def _index_code(path: str) -> str:
    part = next((p for p in path.split("/") if p.startswith("index_code=")), "")
    return part.removeprefix("index_code=")


EMPTY = {"index_code": "str", "trade_date": "datetime64[us]", "close": "float64"}


def committed_closes(
    lake_dir: Path, live: Mapping[str, Live], codes: Collection[str], first: date | None, last: date | None
) -> pd.DataFrame:
    """(index_code, trade_date, close) the lake holds for these indices and days (none without days)."""
    files = committed_file_frame(lake_dir, live, codes)
    if files.empty or first is None or last is None:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in EMPTY.items()})
    with duckdb.connect() as con:
        con.register("committed_file", files)
        con.execute("set variable files = ?", [literals(files["file"])])  # paths, never patterns
        con.execute("set variable first = ?::date", [first])
        con.execute("set variable last = ?::date", [last])
        return con.sql(_QUERY).df()
