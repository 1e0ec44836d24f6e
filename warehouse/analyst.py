"""Analysts' access: the published warehouse, opened read-only, never blocking a run."""

from __future__ import annotations

from pathlib import Path

import duckdb

from smallcap.errors import SmallcapError


def connect_readonly(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.is_file():
        raise SmallcapError(f"no warehouse at {warehouse}: run `smallcap run` first (or pass --data-dir)")
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as exc:
        first = str(exc).splitlines()[0]
        raise SmallcapError(f"cannot open {warehouse} read-only: {first}") from None


def query(warehouse: Path, sql: str, fmt: str = "table") -> str:
    """Run one query and return its result as text: a boxed table or CSV."""
    with connect_readonly(warehouse) as con:
        try:
            rel = con.sql(sql)
        except duckdb.Error as exc:
            raise SmallcapError(f"query failed: {str(exc).splitlines()[0]}") from None
        if rel is None:
            return ""
        if fmt == "csv":
            return rel.df().to_csv(index=False)
        return str(rel)
