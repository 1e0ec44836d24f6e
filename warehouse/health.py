"""Is the published warehouse whole? Nothing reads it to decide what is true, so a broken one is rebuilt."""

from __future__ import annotations

from pathlib import Path

import duckdb


def warehouse_health(path: Path, has_commits: bool) -> str | None:
    """A warning when the published warehouse is gone or broken: this run rebuilds it from the committed lake."""
    if not path.exists():
        return f"{path} is missing: rebuilding it from the committed lake" if has_commits else None
    if path.stat().st_size == 0:
        return f"{path} is empty: rebuilding it from the committed lake"
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            con.sql("select count(*) from marts.daily_close").fetchall()
            ((blocks, block_size),) = con.sql("select total_blocks, block_size from pragma_database_size()").fetchall()
        size, needed = path.stat().st_size, blocks * block_size
        if size < needed:  # DuckDB opens a cut-off file; its blocks are not all there
            return f"{path} is truncated ({size} of {needed}+ bytes): rebuilding it from the committed lake"
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            return None  # an analyst holds it read-write: readable, and replaced by rename all the same
        return f"{path} cannot be read ({str(exc).splitlines()[0]}): rebuilding it from the committed lake"
    except duckdb.Error as exc:
        return f"{path} cannot be read ({str(exc).splitlines()[0]}): rebuilding it from the committed lake"
    return None
