"""What the published warehouse already holds, read-only: the gate's reference for revisions."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from smallcap.errors import SmallcapError

_QUERY = "select index_code, trade_date, close from marts.daily_close"


def _read(path: Path) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(_QUERY).df()


def daily_closes(warehouse: Path) -> pd.DataFrame | None:
    """marts.daily_close (index_code, trade_date, close), or None when nothing is published yet.

    An analyst's read-write session locks the file against any other reader; then the published
    bytes are read from a private copy, so the run neither waits nor fails for it.
    """
    if not warehouse.is_file():
        return None
    try:
        try:
            return _read(warehouse)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
        with tempfile.TemporaryDirectory(prefix="smallcap-published-") as tmp:
            copy = Path(tmp) / warehouse.name
            shutil.copyfile(warehouse, copy)
            return _read(copy)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise SmallcapError(f"cannot read the published closes from {warehouse}: {first}") from None
