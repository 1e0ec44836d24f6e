"""Backfill: chunks through the gate into the lake, one warehouse build, resumable after interruption."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from prefect.exceptions import FailedRun

from flows.backfill import backfill
from flows.weekly_report import weekly_report
from smallcap.backfill import plan, required_indices
from smallcap.errors import SmallcapError
from smallcap.lake import records
from tests import independent
from tests.conftest import LONG_HISTORY, YEAR, CompletedRun, read_closes
from tests.helpers import marts, prefect_server_env


def _nyse_weeks(start: str, end: str) -> int:
    """Monday–Friday weeks with at least one session, counted from exchange_calendars directly."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sessions = xcals.get_calendar("XNYS").sessions_in_range(start, end)
    return len({(s - pd.Timedelta(days=s.weekday())).date() for s in sessions})


def test_plan_covers_every_week_once_in_contiguous_chunks() -> None:
    chunks = plan(date(2022, 1, 1), date(2025, 12, 16), chunk_weeks=13)
    assert chunks[0].start == date(2022, 1, 1)
    assert chunks[-1].end == date(2025, 12, 12)  # the last complete week on or before the end
    assert sum(c.weeks for c in chunks) == _nyse_weeks("2022-01-01", "2025-12-12") == 206
    assert [c.weeks for c in chunks] == [13] * 15 + [11]
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)
    assert date(2025, 4, 17) in {c.end for c in plan(date(2025, 1, 1), date(2025, 4, 18), chunk_weeks=1)}  # Good Friday
    with pytest.raises(SmallcapError, match="no complete NYSE week from 2025-12-15 to 2025-12-16"):
        plan(date(2025, 12, 15), date(2025, 12, 16), chunk_weeks=13)
    with pytest.raises(SmallcapError, match="chunk size must be at least 1 week"):
        plan(date(2022, 1, 1), date(2025, 12, 16), chunk_weeks=0)


def test_required_indices_follow_each_index_history() -> None:
    # Before R2000G's history begins in the source, the large caps alone; once begun, always.
    assert required_indices({"SPX", "DJIA"}, set(), last_chunk=False) == ("SPX", "DJIA")
    assert required_indices({"SPX", "DJIA"}, {"R2000G", "SPX", "DJIA"}, last_chunk=False) == ("R2000G", "SPX", "DJIA")
    assert required_indices({"SPX", "DJIA"}, {"SPX", "DJIA"}, last_chunk=True) == ("R2000G", "SPX", "DJIA")
    assert required_indices(set(), set(), last_chunk=False) == ("R2000G", "SPX", "DJIA")


@pytest.mark.flow
def test_backfill_from_2022_on_the_sample_gives_the_weekly_runs_marts(
    tmp_path: Path, sample_week: CompletedRun
) -> None:
    out = backfill(start=date(2022, 1, 1), data_dir=str(tmp_path / "b"), chunk_weeks=52)
    # The sample's last week is 2026-02-13: 215 NYSE weeks from 2022, in 5 chunks of up to 52 weeks.
    assert (n_chunks := -(-_nyse_weeks("2022-01-01", "2026-02-13") // 52)) == 5
    assert (out["start"], out["end"], out["chunks"]) == ("2022-01-01", "2026-02-13", str(n_chunks))
    weekly = sample_week.out  # the weekly run of the sample's latest week, 2026-02-13
    assert marts(out["warehouse"]) == marts(weekly["warehouse"])
    with duckdb.connect(out["warehouse"], read_only=True) as con:
        chunks = con.sql("select chunk_start, rows, indices from meta.backfill_chunks order by chunk_start").fetchall()
    # The sample begins 2024-11-14: the 2022 and 2023 chunks have nothing to land and are checked off empty.
    assert [(c[1], c[2]) for c in chunks[:2]] == [(0, ""), (0, "")]
    assert all(c[2] == "R2000G,SPX,DJIA" and c[1] > 0 for c in chunks[2:])
    # The rows are gated in one pass (not chunk by chunk), and none is named as left out.
    with duckdb.connect(out["warehouse"], read_only=True) as con:
        after = con.sql("select success from meta.validation_results where suite = 'after_week'").fetchall()
    assert after == [(True,)]


@pytest.mark.flow
def test_a_rejected_chunk_stops_the_backfill_and_the_rerun_resumes_there(
    tmp_path: Path, year_csv: Path, year_week: CompletedRun
) -> None:
    data = tmp_path / "b"
    bad = read_closes(YEAR)
    bad.loc[(bad["index_code"] == "SPX") & (bad["date"] == "2025-08-01"), "close"] = -6238.01
    csv = tmp_path / "source.csv"
    bad.to_csv(csv, index=False, date_format="%Y-%m-%d")
    args = {
        "start": date(2024, 11, 20),
        "source": "csv",
        "csv_path": str(csv),
        "data_dir": str(data),
        "chunk_weeks": 27,
    }

    state = backfill(**args, return_state=True)
    assert state.is_failed()
    assert state.message.startswith("chunk 2/2 (2025-05-24 to 2025-11-21): batch rejected by the quality gate")
    assert "close > 0: 1 row(s) fail, e.g. index_code=SPX trade_date=2025-08-01 close=-6238.01" in state.message
    with pytest.raises(FailedRun):
        state.result()
    assert not (data / "warehouse.duckdb").exists()  # nothing published from a half-done backfill
    assert len(list((data / "quarantine").iterdir())) == 1
    (first,) = records.read_all(data / "lake", "backfill_chunks").to_pylist()  # chunk 1 kept, checked off
    assert (first["chunk_start"], first["chunk_end"]) == (date(2024, 11, 20), date(2025, 5, 23))

    shutil.copyfile(year_csv, csv)  # the source corrected in place; the same backfill again
    out = backfill(**args)
    assert int(out["landed_rows"]) == len(read_closes(YEAR).query("date > '2025-05-23'"))  # only chunk 2
    # The weekly run of the last week on the same closes (the corrected file is the year sample).
    assert marts(out["warehouse"]) == marts(year_week.out["warehouse"])


def _checked_off(data: Path) -> int:
    # Staged files (hidden names) are not checkpoints until their chunk's release is published.
    return len(
        [p for p in (data / "lake" / "meta" / "backfill_chunks").glob("*.parquet") if not p.name.startswith(".")]
    )


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_server")
def test_smallcap_backfill_killed_and_resumed_gives_the_uninterrupted_marts(tmp_path: Path) -> None:
    csv = tmp_path / "closes.csv"
    read_closes(LONG_HISTORY).to_csv(csv, index=False, date_format="%Y-%m-%d")
    # R2000G ends 2025-12-16 in this file (the large caps go on to 2026-02-13): fill up to its last full week.
    cli = ["backfill", "--start", "2022-01-01", "--end", "2025-12-12", "--csv", str(csv), "--chunk-weeks", "26"]
    command = [sys.executable, "-m", "app.cli", *cli, "--data-dir"]

    # Interrupted: killed outright (SIGKILL, no clean-up) once two chunks are checked off.
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [*command, str(killed)],
        env=prefect_server_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while _checked_off(killed) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = _checked_off(killed)
    assert 2 <= done_before < 8, "the backfill was not interrupted mid-way"
    assert not (killed / "warehouse.duckdb").exists()

    resumed = subprocess.run(
        [*command, str(killed)], env=prefect_server_env(), capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "8/8 chunks" in resumed.stdout
    assert "weeks        2022-01-01 to 2025-12-12 (8 chunks)" in resumed.stdout
    chunk_rows = {r["chunk_end"]: r["rows"] for r in records.read_all(killed / "lake", "backfill_chunks").to_pylist()}
    assert len(chunk_rows) == 8
    ends = sorted(chunk_rows)
    assert f"landed rows  {sum(chunk_rows[e] for e in ends[done_before:])}" in resumed.stdout  # no chunk redone

    # Uninterrupted, in one go.
    whole = backfill(
        start=date(2022, 1, 1),
        end=date(2025, 12, 12),
        source="csv",
        csv_path=str(csv),
        data_dir=str(tmp_path / "w"),
        chunk_weeks=26,
    )
    assert marts(killed / "warehouse.duckdb") == marts(whole["warehouse"])
    batches = [
        sorted(p.name for p in (d / "lake" / "daily_close").rglob("*.parquet")) for d in (killed, tmp_path / "w")
    ]
    assert batches[0] == batches[1]  # the same batches landed, once each

    # ...which are the marts a weekly run of the last week builds from the same closes,
    weekly = weekly_report(
        source="csv", csv_path=str(csv), week_ending=date(2025, 12, 12), data_dir=str(tmp_path / "weekly")
    )
    assert marts(whole["warehouse"]) == marts(weekly["warehouse"])
    # ...and what an independent pandas calculation gives.
    closes = read_closes(LONG_HISTORY)
    expected = independent.weekly_close(closes[closes["date"] <= "2025-12-12"])
    with duckdb.connect(whole["warehouse"], read_only=True) as con:
        got = con.sql("select * from marts.weekly_close order by index_code, week_ending").df()
    assert len(got) == len(expected) == 206 * 2 + 57
    pd.testing.assert_series_equal(got["close"], expected["close"], check_names=False)
    pd.testing.assert_series_equal(got["return_1w"], expected["return_1w"], check_names=False, rtol=1e-12)


def test_backfill_command_refuses_bad_dates_in_one_line(tmp_path: Path, prefect_log_level: None) -> None:
    from typer.testing import CliRunner

    from app.cli import app

    for args, code, error in (
        (["--start", "01/01/2022"], 2, "error: --start must be an ISO date YYYY-MM-DD, got '01/01/2022'"),  # usage
        (
            ["--start", "2025-12-15", "--end", "2025-12-16"],
            1,
            "error: no complete NYSE week from 2025-12-15 to 2025-12-16",
        ),
    ):
        out = CliRunner().invoke(app, ["backfill", *args, "--data-dir", str(tmp_path / "d")])
        assert out.exit_code == code
        assert out.output.strip().splitlines()[-1] == error
    assert not (tmp_path / "d").exists()


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_server")
def test_yahoo_backfill_is_cross_checked_with_fred_chunk_by_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Live sources, replayed at the network boundary: a FRED disagreement in one chunk stops the backfill
    there; with FRED's answer right again the same backfill resumes and ends with the weekly run's marts."""
    from tests.replay import FredReplay, YahooReplay

    monkeypatch.setenv("SMALLCAP_EXTRACT_RETRY_DELAY_SECONDS", "0")
    monkeypatch.delenv("SMALLCAP_FRED_API_KEY", raising=False)
    monkeypatch.delenv("SMALLCAP_FRED_API_KEY_BLOCK", raising=False)
    yahoo = YahooReplay().install(monkeypatch)

    # FRED's SPX close for 2025-12-10 was 6886.68; this answer says 6900.00 (+0.19 %), in the last chunk.
    def wrong(series: str, text: str) -> str:
        return text.replace("2025-12-10,6886.68", "2025-12-10,6900.00") if series == "SP500" else text

    FredReplay(edit=wrong).install(monkeypatch)
    args = {
        "start": date(2024, 11, 14),
        "end": date(2025, 12, 12),
        "source": "yahoo",
        "check_source": "fred",
        "data_dir": str(tmp_path / "b"),
        "chunk_weeks": 26,
    }
    state = backfill(**args, return_state=True)
    assert state.is_failed()
    assert state.message.startswith("chunk 3/3 (2025-11-08 to 2025-12-12): reconciliation failed: yahoo and")
    assert "SPX 2025-12-10 yahoo 6886.68 vs fred 6900.00 (-0.193 %)" in state.message
    assert yahoo.attempts == 1  # one download for the whole range, gated in one pass

    fred = FredReplay().install(monkeypatch)
    out = backfill(**args)
    assert yahoo.attempts == 2  # chunks 1 and 2 were not fetched again: one download of chunk 3
    assert {u.params.get("cosd") for u in fred.urls} == {"2025-11-08"}  # only chunk 3 cross-checked again
    weekly = weekly_report(
        source="yahoo", check_source="fred", week_ending=date(2025, 12, 12), data_dir=str(tmp_path / "w")
    )
    assert marts(out["warehouse"]) == marts(weekly["warehouse"])
