"""The gate's view of what is already published: marts.daily_close, read without blocking anyone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from smallcap.lake import published

HOLD = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('held', flush=True); sys.stdin.read()"


def _warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.sql("create schema marts")
        con.sql(
            "create table marts.daily_close as select * from (values "
            "('SPX', date '2025-11-20', 6538.76), ('SPX', date '2025-11-21', 6602.99)) t(index_code, trade_date, close)"
        )
    return path


def _rows(frame: pd.DataFrame) -> list[tuple]:
    frame = frame.sort_values("trade_date")
    return list(
        zip(frame["index_code"], pd.to_datetime(frame["trade_date"]).dt.date.astype(str), frame["close"], strict=True)
    )


def test_nothing_published_yet(tmp_path: Path) -> None:
    assert published.daily_closes(tmp_path / "warehouse.duckdb") is None


def test_reads_the_published_closes(tmp_path: Path) -> None:
    frame = published.daily_closes(_warehouse(tmp_path / "warehouse.duckdb"))
    assert _rows(frame) == [("SPX", "2025-11-20", 6538.76), ("SPX", "2025-11-21", 6602.99)]


def test_reads_them_while_an_analyst_holds_the_file_read_write(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "warehouse.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(warehouse), read_only=True)  # the file really is locked
        frame = published.daily_closes(warehouse)
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert _rows(frame) == [("SPX", "2025-11-20", 6538.76), ("SPX", "2025-11-21", 6602.99)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]  # no copy left beside it


def test_a_file_that_is_not_a_warehouse_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "warehouse.duckdb"
    bad.write_bytes(b"not a database")
    with pytest.raises(published.SmallcapError, match=r"^cannot read the published closes from .*warehouse\.duckdb: "):
        published.daily_closes(bad)
