"""A run on a day with no new session reports the same week again, and changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.weekly_report import weekly_report
from tests.helpers import marts

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_server")]


def test_good_friday_and_the_weekend_repeat_thursdays_week(tmp_path: Path, year_csv: Path) -> None:
    args = {"source": "csv", "csv_path": str(year_csv), "data_dir": str(tmp_path)}
    thursday = weekly_report(week_ending=date(2025, 4, 17), **args)  # the week's last session
    published = marts(thursday["warehouse"])
    draft = Path(thursday["draft"]).read_bytes()
    page = Path(thursday["page"]).read_bytes()
    lake = sorted((tmp_path / "lake" / "daily_close").rglob("*.parquet"))

    for run_day in (date(2025, 4, 18), date(2025, 4, 20)):  # Good Friday (closed), Sunday
        again = weekly_report(week_ending=run_day, **args)
        assert again["week_ending"] == "2025-04-17"
        assert again["draft"] == thursday["draft"]
        assert Path(again["draft"]).read_bytes() == draft
        assert Path(again["page"]).read_bytes() == page
        assert marts(again["warehouse"]) == published
        assert sorted((tmp_path / "lake" / "daily_close").rglob("*.parquet")) == lake  # nothing new landed

    with duckdb.connect(thursday["warehouse"], read_only=True) as con:
        runs = con.sql("select run_name, flow_run_id, week_ending from meta.pipeline_runs").fetchall()
    expected = [(f"weekly-2025-04-17-{run_id[:8]}", date(2025, 4, 17)) for _, run_id, _ in runs]
    assert [(name, week) for name, _, week in runs] == expected
    assert len({i for _, i, _ in runs}) == 3
