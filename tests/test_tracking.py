"""R2000G against IWO, through yfinance on the wire. The IWO answer is derived from the real
R2000G closes (tests/fixtures/build_fixtures.py), not recorded."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from smallcap.quality.tracking import strays
from smallcap.settings import Settings
from smallcap.sources.yahoo import YahooSource, fund_history
from tests import faults
from tests.helpers import run_logs
from tests.replay import FredReplay, YahooReplay, ok, yahoo_chart

START, END = date(2024, 11, 14), date(2025, 12, 12)
BAND = Settings().tracking_band_pp


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    FredReplay().always(faults.not_replayed).install(monkeypatch)


def _r2000g() -> object:
    got = YahooSource(codes=("R2000G",)).extract(START, END)
    return got.set_index("trade_date")["close"]


def _install(monkeypatch: pytest.MonkeyPatch) -> YahooReplay:
    charts = {s: yahoo_chart(s) for s in ("^RUO", "^GSPC", "^DJI", "IWO")}
    return YahooReplay(charts).install(monkeypatch)


def test_real_r2000g_tracks_iwo_within_the_band_with_dividend_days_set_aside(monkeypatch: pytest.MonkeyPatch) -> None:
    yahoo = _install(monkeypatch)
    iwo, dividends = fund_history("IWO", START, END)
    assert {f"{d:%Y-%m-%d}" for d in dividends} == {"2024-12-17", "2025-03-18", "2025-06-10", "2025-09-16"}
    assert [r.params["events"] for r in yahoo.chart_requests if r.symbol == "IWO" and r.history] == [
        "div,splits,capitalGains"
    ]
    assert strays(_r2000g(), iwo, dividends, BAND) == []
    # Without setting the dividend days aside, each payout (0.9 %) would be a stray day.
    assert [f"{s.trade_date:%Y-%m-%d}" for s in strays(_r2000g(), iwo, set(), BAND)] == sorted(
        f"{d:%Y-%m-%d}" for d in dividends
    )


def test_a_wrong_r2000g_close_is_named_by_its_days(monkeypatch: pytest.MonkeyPatch) -> None:
    _install(monkeypatch)
    iwo, dividends = fund_history("IWO", START, END)
    # R2000G's 2025-12-10 close was 1705.31; this answer says 1725.31 (+1.17 %), plausible on its own.
    wrong = YahooReplay({s: yahoo_chart(s) for s in ("^RUO", "^GSPC", "^DJI")})
    wrong.always(faults.on(("^RUO",), lambda request, payload: ok(_raise_close(payload, 1705.31, 1725.31))))
    wrong.install(monkeypatch)
    found = strays(_r2000g(), iwo, dividends, BAND)
    assert [f"{s.trade_date:%Y-%m-%d}" for s in found] == ["2025-12-10", "2025-12-11"]
    assert found[0].line("R2000G", "IWO", BAND).startswith("R2000G 2025-12-10 moved +1.99 % but IWO ")
    assert found[0].line("R2000G", "IWO", BAND).endswith(f"band {BAND:g} pp)")


def _raise_close(payload: dict, old: float, new: float) -> dict:
    import numpy as np

    quote = payload["chart"]["result"][0]["indicators"]["quote"][0]
    quote["close"] = [float(np.float32(new)) if round(c, 2) == old else c for c in quote["close"]]
    return payload


def test_the_band_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().tracking_band_pp == 0.75 and Settings().tracking_check is False
    monkeypatch.setenv("SMALLCAP_TRACKING_BAND_PP", "0")
    with pytest.raises(Exception, match="SMALLCAP_TRACKING_BAND_PP: Input should be greater than 0"):
        Settings()


@pytest.mark.usefixtures("prefect_server")
def test_a_run_with_the_check_on_warns_on_the_stray_days_and_publishes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import duckdb

    from flows.weekly_report import weekly_report

    monkeypatch.setenv("SMALLCAP_TRACKING_CHECK", "true")
    wrong = YahooReplay({s: yahoo_chart(s) for s in ("^RUO", "^GSPC", "^DJI", "IWO")})
    wrong.always(faults.on(("^RUO",), lambda request, payload: ok(_raise_close(payload, 1705.31, 1725.31))))
    wrong.install(monkeypatch)
    state = weekly_report(source="yahoo", week_ending=END, data_dir=str(tmp_path), return_state=True)
    assert state.is_completed(), state.message
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        rows = con.sql(
            "select expectation, severity, success, unexpected_count, sample from meta.validation_results"
            " where suite = 'tracking'"
        ).fetchall()
    [(expectation, severity, success, count, sample)] = rows
    assert expectation == f"R2000G daily move within {BAND:g} pp of IWO's (dividend days aside)"
    assert (severity, success, count) == ("warning", False, 2)
    assert [row["trade_date"] for row in json.loads(sample)] == ["2025-12-10", "2025-12-11"]
    logged = [log.message for log in run_logs(state.state_details.flow_run_id)]
    assert any(m.startswith("gate warning (batch passes): R2000G daily move within") for m in logged)
