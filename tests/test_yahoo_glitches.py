"""Real-world Yahoo glitches, replayed on the wire through the whole of yfinance.

Each ends in a retry (a TransientSourceError, which the flow retries), a close left for the
freshness wait or the gate, or the right closes: never a wrong close. Where the source answers,
the closes are compared with the real CSV in tests/data.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from smallcap.errors import TransientSourceError
from smallcap.sources.freshness import missing_session
from smallcap.sources.yahoo import YahooSource
from tests import faults
from tests.conftest import SAMPLE
from tests.replay import FredReplay, YahooReplay, answer_for

MON, FRI = date(2025, 12, 8), date(2025, 12, 12)
NEW_YORK = "America/New_York"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    FredReplay().always(faults.not_replayed).install(monkeypatch)


def _real(start: date, end: date) -> pd.DataFrame:
    real = pd.read_csv(SAMPLE, parse_dates=["date"])
    real = real[real["date"].between(pd.Timestamp(start), pd.Timestamp(end))]
    return real.rename(columns={"date": "trade_date"})[["index_code", "trade_date", "close"]]


def _assert_real_closes(got: pd.DataFrame, start: date, end: date, without: tuple[tuple[str, str], ...] = ()) -> None:
    """The batch holds exactly the real closes of [start, end], less the (index_code, day) pairs in `without`."""
    key = ["index_code", "trade_date"]
    expected = _real(start, end)
    drop = expected.apply(lambda r: (r["index_code"], f"{r['trade_date']:%Y-%m-%d}") in without, axis=1)
    expected = expected[~drop].sort_values(key).reset_index(drop=True)
    assert len(expected) == len(_real(start, end)) - len(without)
    pd.testing.assert_frame_equal(got[key + ["close"]].sort_values(key).reset_index(drop=True), expected)


def _wave(monkeypatch: pytest.MonkeyPatch, *faulty: faults.YahooFault) -> YahooReplay:
    replay = YahooReplay()
    replay.faults = list(faulty)
    return replay.install(monkeypatch)


# --- null OHLC bars for ^GSPC ---------------------------------------------------------------------


@pytest.mark.parametrize("close_only", [False, True], ids=["all prices null", "close null"])
def test_null_bars_inside_the_window_are_a_partial_answer_then_the_retry_lands_real_closes(
    monkeypatch: pytest.MonkeyPatch, close_only: bool
) -> None:
    _wave(monkeypatch, faults.null_bars(("2025-12-09", "2025-12-10"), close_only=close_only))
    with pytest.raises(TransientSourceError) as caught:
        YahooSource().extract(MON, FRI)
    assert str(caught.value) == "yahoo ^GSPC (SPX): partial answer, no close on 2 of 5 days (2025-12-09, 2025-12-10)"
    _assert_real_closes(YahooSource().extract(MON, FRI), MON, FRI)  # the next attempt: Yahoo answers in full


def test_null_bar_on_the_last_day_is_a_session_not_yet_published(monkeypatch: pytest.MonkeyPatch) -> None:
    _wave(monkeypatch, faults.null_bars(("2025-12-12",)))
    got = YahooSource().extract(MON, FRI)
    # No close is made up for Friday: the freshness wait (or the gate's coverage check) sees it missing.
    assert missing_session(got, FRI, ["R2000G", "SPX", "DJIA"]) == ["SPX"]
    _assert_real_closes(got, MON, FRI, without=(("SPX", "2025-12-12"),))


# --- today's live bar during the session ----------------------------------------------------------


@pytest.mark.parametrize("stamp", ["2025-12-12 11:47:03", "2025-12-12 09:30:00"], ids=["last trade", "session open"])
def test_todays_live_bar_during_the_session_is_never_taken_as_a_close(
    monkeypatch: pytest.MonkeyPatch, stamp: str
) -> None:
    now = pd.Timestamp(stamp, tz=NEW_YORK)
    live = faults.live_bar(now, price=1234.5)
    yahoo = _wave(monkeypatch, live)
    got = YahooSource(now=lambda: now.to_pydatetime()).extract(MON, FRI)
    history = [r for r in yahoo.chart_requests if r.history]
    # The source asked up to Thursday; Yahoo appended Friday's live bar all the same.
    assert {r.day("period2") for r in history} == {"2025-12-12"}
    _, _, body = live(history[0], answer_for(history[0], yahoo.charts[history[0].symbol]))
    assert int(now.timestamp()) in json.loads(body)["chart"]["result"][0]["timestamp"]
    assert 1234.5 not in set(got["close"])
    _assert_real_closes(got, MON, date(2025, 12, 11))


# --- waves of HTTP 429 ----------------------------------------------------------------------------


def test_a_wave_of_429_is_retried_then_the_real_closes_land(monkeypatch: pytest.MonkeyPatch) -> None:
    yahoo = _wave(monkeypatch, faults.rate_limited(), faults.rate_limited())
    for _ in range(2):
        with pytest.raises(TransientSourceError, match=r"YFRateLimitError\('Too Many Requests"):
            YahooSource().extract(MON, FRI)
    _assert_real_closes(YahooSource().extract(MON, FRI), MON, FRI)
    assert yahoo.attempts == 3


# --- a bar shifted a day by a time zone -----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "message"),
    [
        # Wednesday's bar at 00:00 UTC is Tuesday evening in New York: two bars for Tuesday.
        ("2025-12-10", "yahoo ^RUO (R2000G): partial answer, no close on 1 of 5 days (2025-12-10)"),
        # Monday's bar lands on Sunday, a day without a session.
        ("2025-12-08", "yahoo ^RUO (R2000G): partial answer, no close on 1 of 6 days (2025-12-08)"),
    ],
    ids=["onto the previous session", "onto a Sunday"],
)
def test_a_bar_shifted_back_a_day_is_a_partial_answer(monkeypatch: pytest.MonkeyPatch, day: str, message: str) -> None:
    _wave(monkeypatch, faults.shifted(day))
    with pytest.raises(TransientSourceError) as caught:
        YahooSource().extract(MON, FRI)
    assert str(caught.value) == message
    _assert_real_closes(YahooSource().extract(MON, FRI), MON, FRI)


def test_the_last_bar_shifted_back_a_day_leaves_the_last_session_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    _wave(monkeypatch, faults.shifted("2025-12-12"))
    got = YahooSource().extract(MON, FRI)
    # yfinance keeps the later of two bars on one day (its live-bar rule): Friday's close arrives
    # as Thursday's. Friday is missing, so the freshness wait or the gate's coverage check stops
    # this batch (test_live_flow.py shows nothing is landed); the next answer is right.
    assert missing_session(got, FRI, ["R2000G", "SPX", "DJIA"]) == ["R2000G"]
    thursday = got[(got["index_code"] == "R2000G") & (got["trade_date"] == "2025-12-11")]["close"].item()
    assert thursday == _real(FRI, FRI).query("index_code == 'R2000G'")["close"].item()
    _assert_real_closes(YahooSource().extract(MON, FRI), MON, FRI)


def test_a_bar_stamped_at_midnight_utc_of_the_next_day_keeps_its_date(monkeypatch: pytest.MonkeyPatch) -> None:
    # 2025-12-11 00:00 UTC (+24 h from Wednesday's midnight) is Wednesday 19:00 in New York.
    _wave(monkeypatch, faults.shifted("2025-12-10", hours=24))
    _assert_real_closes(YahooSource().extract(MON, FRI), MON, FRI)


# --- an empty result ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (True, "No data found, symbol may be delisted"),
        (False, "possibly delisted; no price data found  (1d 2025-12-08 -> 2025-12-13)"),
    ],
    ids=["result null with chart.error", "result empty"],
)
def test_an_empty_result_is_retried_then_the_real_closes_land(
    monkeypatch: pytest.MonkeyPatch, error: bool, message: str
) -> None:
    _wave(monkeypatch, faults.on(faults.THREE, faults.empty_result(error=error)))
    with pytest.raises(TransientSourceError) as caught:
        YahooSource().extract(MON, FRI)
    assert str(caught.value) == f"{faults.ALL}: {message}"
    _assert_real_closes(YahooSource().extract(MON, FRI), MON, FRI)
