"""A weekly run lands only its lookback window: the rows it leaves out of a longer history are named."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from smallcap.sources.batch import from_long_text, left_out_before
from tests.conftest import LONG_HISTORY, YEAR, read_closes

WEEK = date(2025, 11, 21)


def _text(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_rows_before_the_window_are_counted_and_named() -> None:
    start = date(2024, 1, 1)
    raw = _text(LONG_HISTORY)
    batch = from_long_text(raw, "csv", start, date(2026, 2, 13), today=date(2026, 2, 14))
    older = raw[raw["date"] < "2024-01-01"]  # ISO text sorts as the dates do
    assert len(batch) == len(raw) - len(older)
    assert left_out_before(batch) == (
        f"{len(older)} row(s) dated {older['date'].min()} to {older['date'].max()} are before this run's lookback "
        "window (from 2024-01-01, SMALLCAP_LOOKBACK_DAYS) and were left out, not landed: to land them, run "
        f"`smallcap backfill --start {older['date'].min()}`"
    )


def test_a_window_holding_every_row_says_nothing() -> None:
    batch = from_long_text(_text(YEAR), "csv", date(2000, 1, 1), WEEK, today=date(2026, 1, 1))
    assert left_out_before(batch) is None


def test_a_weekly_run_names_what_its_lookback_left_out(
    prefect_server: None, tmp_path: Path, year_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.weekly_report import weekly_report
    from tests.helpers import run_logs

    monkeypatch.setenv("SMALLCAP_LOOKBACK_DAYS", "300")
    state = weekly_report(
        source="csv", csv_path=str(year_csv), week_ending=WEEK, data_dir=str(tmp_path / "d"), return_state=True
    )
    assert state.is_completed(), state.message
    closes = read_closes(YEAR)
    start = WEEK - timedelta(days=300)
    older = closes[closes["date"] < pd.Timestamp(start)]
    line = (
        f"{len(older)} row(s) dated {older['date'].min():%Y-%m-%d} to {older['date'].max():%Y-%m-%d} are before "
        f"this run's lookback window (from {start:%Y-%m-%d}, SMALLCAP_LOOKBACK_DAYS) and were left out, not "
        f"landed: to land them, run `smallcap backfill --start {older['date'].min():%Y-%m-%d}`"
    )
    assert line in state.result()["notes"]
    warnings = [log.message for log in run_logs(state.state_details.flow_run_id) if log.level == 30]
    assert line in warnings
    with duckdb.connect(str(tmp_path / "d" / "warehouse.duckdb"), read_only=True) as con:
        [(outputs,)] = con.sql("select outputs from meta.pipeline_runs").fetchall()
        [(landed,)] = con.sql("select count(*) from marts.daily_close").fetchall()
    assert json.loads(outputs)["notes"] == line
    assert landed == len(closes) - len(older)
