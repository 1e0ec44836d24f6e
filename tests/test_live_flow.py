"""Weekly runs on the live sources, replayed: real Prefect retries, GX gate, Parquet lake and DuckDB.

Only the network is replayed (tests/replay.py). Retry delays are 0 s here through the setting
SMALLCAP_EXTRACT_RETRY_DELAY_SECONDS; the freshness wait's sleeping is recorded, not slept.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import duckdb
import httpx
import pandas as pd
import pytest
import yaml
from prefect.exceptions import FailedRun

from flows.weekly_report import weekly_report
from smallcap.sources import freshness
from tests import faults, independent
from tests.conftest import SAMPLE
from tests.helpers import digest, run_logs
from tests.replay import FredReplay, YahooReplay

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_server")]

WEEK = date(2025, 12, 12)
ROOT = Path(__file__).parents[1]
ATTEMPTS = 4  # the first try and 3 retries (settings default)
START = "2020-12-08"  # the week ending minus the 5-year lookback
DAYS = 270  # sessions in the Yahoo recording from 2024-11-14 to 2025-12-12


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # No test may reach the internet: unless a test installs a replay, every request fails here.
    YahooReplay().always(ConnectionError("network not replayed")).install(monkeypatch)
    FredReplay().always(faults.not_replayed).install(monkeypatch)
    monkeypatch.setenv("SMALLCAP_EXTRACT_RETRY_DELAY_SECONDS", "0")
    monkeypatch.delenv("SMALLCAP_FRED_API_KEY", raising=False)
    monkeypatch.delenv("SMALLCAP_FRED_API_KEY_BLOCK", raising=False)


@pytest.fixture
def yahoo(monkeypatch: pytest.MonkeyPatch) -> YahooReplay:
    return YahooReplay().install(monkeypatch)


@pytest.fixture
def fred(monkeypatch: pytest.MonkeyPatch) -> FredReplay:
    return FredReplay().install(monkeypatch)


def _files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*")) if folder.exists() else []


def _run(tmp_path: Path, **kwargs):  # noqa: ANN003, ANN202
    args = {"source": "yahoo", "week_ending": WEEK, "data_dir": str(tmp_path), "return_state": True} | kwargs
    return weekly_report(**args)


def _nothing_written(tmp_path: Path) -> None:
    assert _files(tmp_path / "lake" / "daily_close") == []
    assert not (tmp_path / "warehouse.duckdb").exists()
    assert not (tmp_path / "reports").exists()


def test_yahoo_with_fred_cross_check_publishes_marts_equal_to_independent_calculation(
    tmp_path: Path, yahoo: YahooReplay, fred: FredReplay
) -> None:
    state = _run(tmp_path, check_source="fred")
    assert state.is_completed(), state.message
    out = state.result()
    assert out["week_ending"] == "2025-12-12"
    assert yahoo.attempts == 1 and fred.calls == {"SP500": 1, "DJIA": 1}

    sample = pd.read_csv(SAMPLE, parse_dates=["date"])  # the Yahoo closes the recording holds
    expected = independent.weekly_close(sample[sample["date"] <= "2025-12-12"])
    with duckdb.connect(out["warehouse"], read_only=True) as con:
        weekly = con.sql("select * from marts.weekly_close order by index_code, week_ending").df()
        symbols = con.sql("select distinct index_code, source_symbol from raw.daily_close order by 1").fetchall()
    pd.testing.assert_series_equal(weekly["close"], expected["close"], check_names=False)
    pd.testing.assert_series_equal(weekly["return_1w"], expected["return_1w"], check_names=False, rtol=1e-12)
    assert symbols == [("DJIA", "^DJI"), ("R2000G", "^RUO"), ("SPX", "^GSPC")]
    assert {p.parent.parent.name for p in (tmp_path / "lake" / "daily_close").rglob("*.parquet")} == {"source=yahoo"}
    assert "1696.41で終わりました" in Path(out["draft"]).read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(faults.YAHOO))
def test_yahoo_fault_is_retried_then_fails_with_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    fault, expected = faults.YAHOO[case]
    expected = faults.YAHOO_LATER.get(case, expected)
    replay = YahooReplay().always(fault).install(monkeypatch)
    state = _run(tmp_path)
    assert state.is_failed()
    assert replay.attempts == ATTEMPTS
    assert state.message == f"{expected.format(days=DAYS, start=START)} (gave up after {ATTEMPTS} attempts)"
    with pytest.raises(FailedRun):
        state.result()
    _nothing_written(tmp_path)


@pytest.mark.parametrize("case", sorted(faults.FRED))
def test_fred_fault_is_retried_then_fails_with_one_clear_line(
    tmp_path: Path, yahoo: YahooReplay, fred: FredReplay, case: str
) -> None:
    fault, expected = faults.FRED[case]
    fred.always(fault)
    state = _run(tmp_path, check_source="fred")
    assert state.is_failed()
    assert fred.calls == {"SP500": ATTEMPTS}  # each attempt stops at the first failing series
    assert state.message == f"cross-check {expected.format(start=START)} (gave up after {ATTEMPTS} attempts)"
    _nothing_written(tmp_path)


def test_bad_request_is_not_retried(tmp_path: Path, yahoo: YahooReplay, fred: FredReplay) -> None:
    fred.always(lambda request: httpx.Response(404, text="<html>Not Found</html>"))
    state = _run(tmp_path, check_source="fred")
    assert state.is_failed()
    assert fred.calls == {"SP500": 1}
    assert "fred SP500 (SPX): HTTP 404 Not Found" in state.message
    _nothing_written(tmp_path)


def test_source_that_times_out_twice_then_answers_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fred: FredReplay
) -> None:
    yahoo = YahooReplay()
    yahoo.faults = [faults.yahoo_timeout(), faults.yahoo_timeout()]
    yahoo.install(monkeypatch)
    timeout = faults.FRED["timeout"][0]
    fred.faults = [timeout, timeout]
    state = _run(tmp_path, check_source="fred")
    assert state.is_completed(), state.message
    assert yahoo.attempts == 3
    assert fred.calls == {"SP500": 3, "DJIA": 1}
    with duckdb.connect(state.result()["warehouse"], read_only=True) as con:
        [(n,)] = con.sql("select count(*) from marts.daily_close where trade_date <= '2025-12-12'").fetchall()
    assert n == 3 * DAYS


def test_a_wave_of_429_then_yahoo_answers_publishes_the_real_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    yahoo = YahooReplay()
    yahoo.faults = [faults.rate_limited(), faults.rate_limited(), faults.rate_limited()]
    yahoo.install(monkeypatch)
    state = _run(tmp_path)
    assert state.is_completed(), state.message
    assert yahoo.attempts == ATTEMPTS
    sample = pd.read_csv(SAMPLE, parse_dates=["date"])
    expected = independent.weekly_close(sample[sample["date"] <= "2025-12-12"])
    with duckdb.connect(state.result()["warehouse"], read_only=True) as con:
        weekly = con.sql("select * from marts.weekly_close order by index_code, week_ending").df()
    pd.testing.assert_series_equal(weekly["close"], expected["close"], check_names=False)


def test_last_bar_shifted_by_a_time_zone_is_stopped_by_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Friday's R2000G bar stamped 00:00 UTC lands on Thursday and replaces Thursday's close in
    # yfinance: the batch lacks Friday, and the gate's coverage check rejects it.
    YahooReplay().always(faults.shifted("2025-12-12")).install(monkeypatch)
    state = _run(tmp_path)
    assert state.is_failed()
    assert "R2000G" in state.message and "2025-12-12" in state.message and "\n" not in state.message
    _nothing_written(tmp_path)


def test_source_that_never_answers_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    yahoo = YahooReplay().always(faults.yahoo_timeout()).install(monkeypatch)
    state = _run(tmp_path)
    assert state.is_failed()
    assert yahoo.attempts == ATTEMPTS
    assert state.message.startswith("yahoo ^RUO (R2000G), ^GSPC (SPX), ^DJI (DJIA): ")
    assert "HTTPSConnectionPool(host='query2.finance.yahoo.com', port=443): Read timed out." in state.message
    assert state.message.endswith(f"(gave up after {ATTEMPTS} attempts)") and "\n" not in state.message
    _nothing_written(tmp_path)


def test_reconciliation_mismatch_fails_the_run_and_lands_nothing(
    tmp_path: Path, yahoo: YahooReplay, monkeypatch
) -> None:  # noqa: ANN001
    FredReplay().install(monkeypatch)
    good = _run(tmp_path, week_ending=date(2025, 12, 5), check_source="fred")
    assert good.is_completed(), good.message
    warehouse = tmp_path / "warehouse.duckdb"
    before, lake_before = digest(warehouse), _files(tmp_path / "lake" / "daily_close")

    # FRED's SPX close for 2025-12-10 was 6886.68; this answer says 6900.00 (+0.19 %).
    def wrong(series: str, text: str) -> str:
        return text.replace("2025-12-10,6886.68", "2025-12-10,6900.00") if series == "SP500" else text

    FredReplay(edit=wrong).install(monkeypatch)
    state = _run(tmp_path, check_source="fred")
    assert state.is_failed()
    assert state.message.startswith(
        "reconciliation failed: yahoo and cross-check fred differ by more than 0.05 % on 1 of "
    )
    assert "SPX 2025-12-10 yahoo 6886.68 vs fred 6900.00 (-0.193 %)" in state.message
    assert "\n" not in state.message

    assert digest(warehouse) == before
    assert _files(tmp_path / "lake" / "daily_close") == lake_before
    runs = pd.read_parquet(tmp_path / "lake" / "meta" / "pipeline_runs")
    (failed,) = runs[runs["gate_status"] == "failed"].itertuples()
    assert failed.source == "yahoo" and failed.outputs.startswith("reconciliation failed:")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        [(last,)] = con.sql("select max(week_ending) from marts.weekly_close").fetchall()
    assert last == date(2025, 12, 5)
    (kept,) = (tmp_path / "quarantine").iterdir()
    assert "SPX 2025-12-10 yahoo 6886.68 vs fred 6900.00" in (kept / "reason.txt").read_text(encoding="utf-8")
    check = pd.read_csv(kept / "check-batch-fred.csv")
    assert check.loc[(check["index_code"] == "SPX") & (check["trade_date"] == "2025-12-10"), "close"].item() == 6900.0
    assert len(pd.read_csv(kept / "batch.csv")) == 3 * DAYS


def test_missing_last_session_waits_then_fails_as_not_yet_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(freshness, "sleep", slept.append)
    yahoo = YahooReplay().always(faults.yahoo_until("2025-12-11")).install(monkeypatch)
    state = _run(tmp_path, wait_for_last_session=True)
    assert state.is_failed()
    assert slept == [1800] * 6  # up to 3 hours, every 30 minutes
    assert yahoo.attempts == 7
    assert state.message == (
        "not yet published: yahoo has no close for 2025-12-12 for R2000G, SPX, DJIA after waiting 180 min (7 checks)"
    )
    _nothing_written(tmp_path)
    assert not (tmp_path / "quarantine").exists()


def test_last_session_published_while_waiting_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fred: FredReplay
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(freshness, "sleep", slept.append)
    monkeypatch.setenv("SMALLCAP_FRESHNESS_INTERVAL_MINUTES", "20")
    yahoo = YahooReplay()
    # Russell publishes later than the S&P and the Dow: the run waits for R2000G alone.
    late = faults.yahoo_until("2025-12-11", symbols=("^RUO",))
    yahoo.faults = [late, late]
    yahoo.install(monkeypatch)
    state = _run(tmp_path, check_source="fred", wait_for_last_session=True)
    assert state.is_completed(), state.message
    assert slept == [1200, 1200] and yahoo.attempts == 3


def test_deployment_runs_yahoo_with_fred_cross_check_and_waits(
    tmp_path: Path, yahoo: YahooReplay, fred: FredReplay
) -> None:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    (deployment,) = [d for d in spec["deployments"] if d["name"] == "friday-close"]
    params = deployment["parameters"]
    assert params == {"source": "yahoo", "check_source": "fred", "wait_for_last_session": True}
    state = weekly_report(**params, week_ending=WEEK, data_dir=str(tmp_path), return_state=True)
    assert state.is_completed(), state.message
    assert yahoo.attempts == 1 and fred.calls == {"SP500": 1, "DJIA": 1}


def test_fred_key_from_a_prefect_secret_block_is_used_and_never_logged(
    tmp_path: Path,
    yahoo: YahooReplay,
    fred: FredReplay,
    monkeypatch,
    caplog,  # noqa: ANN001
) -> None:
    from prefect.blocks.system import Secret

    secret = "0123456789abcdef0123456789abcdef"
    Secret(value=secret).save("smallcap-fred-key-test", overwrite=True)
    monkeypatch.setenv("SMALLCAP_FRED_API_KEY_BLOCK", "smallcap-fred-key-test")
    caplog.set_level(logging.DEBUG)
    state = _run(tmp_path, check_source="fred")
    assert state.is_completed(), state.message
    assert {(u.host, u.params["api_key"]) for u in fred.urls} == {("api.stlouisfed.org", secret)}
    assert not [r for r in caplog.records if secret in r.getMessage()]
    logs = run_logs(state.state_details.flow_run_id)
    assert logs and not [entry for entry in logs if secret in entry.message]


def test_fred_as_primary_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(Exception, match=r"FRED has no Russell 2000 Growth \(R2000G\) series"):
        weekly_report(source="fred", week_ending=WEEK, data_dir=str(tmp_path))
    _nothing_written(tmp_path)


@pytest.mark.parametrize(
    ("check", "message"),
    [("yahoo", "the cross-check source must differ from the primary source 'yahoo'"), ("csv", "unknown cross-check")],
)
def test_bad_cross_check_is_refused_before_any_work(tmp_path: Path, check: str, message: str) -> None:
    with pytest.raises(Exception, match=message):
        weekly_report(source="yahoo", check_source=check, week_ending=WEEK, data_dir=str(tmp_path))
    _nothing_written(tmp_path)


def test_cli_runs_yahoo_with_fred_cross_check(
    tmp_path: Path, yahoo: YahooReplay, fred: FredReplay, prefect_log_level: None
) -> None:
    from typer.testing import CliRunner

    from app.cli import app

    args = ["run", "--source", "yahoo", "--check-source", "fred", "--week-ending", "2025-12-12"]
    result = CliRunner().invoke(app, [*args, "--data-dir", str(tmp_path)])
    refused = CliRunner().invoke(app, ["run", "--source", "fred", "--data-dir", str(tmp_path / "other")])
    assert result.exit_code == 0, result.output
    assert "week ending  2025-12-12" in result.output
    assert yahoo.attempts == 1 and fred.calls == {"SP500": 1, "DJIA": 1}
    assert refused.exit_code == 2  # a usage error: refused before any run
    assert refused.output.strip().splitlines()[-1].startswith("error: FRED has no Russell 2000 Growth (R2000G) series")
