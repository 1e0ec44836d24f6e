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
        return str(readable(rel))


# A double shown to at most 10 decimal places and 15 significant digits: the binary noise of float
# arithmetic goes (503.06000000000495 reads 503.06) and every figure these tables hold keeps its digits.
_ROUNDED = (
    "CASE WHEN isfinite({c}) AND abs({c}) >= 1e5 THEN round({c}, 14 - floor(log10(abs({c})))::INTEGER) "
    "ELSE round({c}, 10) END"
)


def readable(rel: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """The result for reading: floating-point columns rounded as above, still numbers (right-aligned,
    typed double in the table's header); every other column as it is. CSV output stays exact."""
    columns = []
    for i, (name, kind) in enumerate(zip(rel.columns, rel.types, strict=True), start=1):
        value = _ROUNDED.format(c=f"#{i}") if str(kind) in {"DOUBLE", "FLOAT"} else f"#{i}"
        quoted = name.replace('"', '""')
        columns.append(f'{value} AS "{quoted}"')
    return rel.query("result", f"SELECT {', '.join(columns)} FROM result")
