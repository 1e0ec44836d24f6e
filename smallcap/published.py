"""What the published warehouse already holds, read-only: the gate's reference for revisions."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from smallcap.errors import SmallcapError


def daily_closes(warehouse: Path) -> pd.DataFrame | None:
    """marts.daily_close (index_code, trade_date, close), or None when nothing is published yet."""
    if not warehouse.is_file():
        return None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return con.sql("select index_code, trade_date, close from marts.daily_close").df()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise SmallcapError(f"cannot read the published closes from {warehouse}: {first}") from None
