"""Reconciliation, the freshness wait and the retry schedule as plain functions, on real closes."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from smallcap.errors import NotYetPublished
from smallcap.quality.reconcile import reconcile
from smallcap.settings import Settings
from smallcap.sources import freshness
from tests.conftest import LONG_HISTORY, read_closes


def _batch(source: str, codes: list[str], start: str = "2025-12-01", end: str = "2025-12-12") -> pd.DataFrame:
    closes = read_closes(LONG_HISTORY, codes)
    closes = closes[closes["date"].between(start, end)]
    return pd.DataFrame(
        {
            "index_code": closes["index_code"],
            "trade_date": closes["date"],
            "close": closes["close"],
            "source": source,
        }
    ).reset_index(drop=True)


def _set(batch: pd.DataFrame, code: str, day: str, close: float) -> pd.DataFrame:
    batch = batch.copy()
    batch.loc[(batch["index_code"] == code) & (batch["trade_date"] == day), "close"] = close
    return batch


def test_identical_closes_agree_on_every_common_day() -> None:
    result = reconcile(_batch("yahoo", ["R2000G", "SPX", "DJIA"]), _batch("fred", ["SPX", "DJIA"]), 0.0005)
    assert result.success
    assert result.compared == 2 * 10  # SPX and DJIA, 10 sessions; R2000G has nothing to compare with
    assert result.indices == ("DJIA", "SPX")


def test_tolerance_is_relative_to_the_cross_check_and_inclusive() -> None:
    primary = _batch("yahoo", ["SPX"])
    check = _batch("fred", ["SPX"])  # SPX 2025-12-10 closed at 6886.68
    inside = reconcile(_set(primary, "SPX", "2025-12-10", 6886.68 * 1.0004), check, 0.0005)
    outside = reconcile(_set(primary, "SPX", "2025-12-10", 6886.68 * 1.0006), check, 0.0005)
    assert inside.success
    assert not outside.success and len(outside.mismatches) == 1
    loose = reconcile(_set(primary, "SPX", "2025-12-10", 6886.68 * 1.0006), check, 0.001)
    assert loose.success


def test_disagreement_names_every_day_and_both_values() -> None:
    primary = _set(_set(_batch("yahoo", ["SPX", "DJIA"]), "SPX", "2025-12-10", 6900.00), "DJIA", "2025-12-12", 48000.0)
    result = reconcile(primary, _batch("fred", ["SPX", "DJIA"]), 0.0005)
    assert not result.success
    assert [(m.index_code, m.trade_date) for m in result.mismatches] == [
        ("DJIA", date(2025, 12, 12)),
        ("SPX", date(2025, 12, 10)),
    ]
    # DJIA closed 48458.05 on 2025-12-12 and SPX 6886.68 on 2025-12-10 (tests/data).
    assert result.reason() == (
        "reconciliation failed: yahoo and cross-check fred differ by more than 0.05 % on 2 of 20 common closes: "
        "DJIA 2025-12-12 yahoo 48000.00 vs fred 48458.05 (-0.945 %); "
        "SPX 2025-12-10 yahoo 6900.00 vs fred 6886.68 (+0.193 %)"
    )
    verdict = result.to_dict()
    assert verdict["mismatches"][1] == {
        "index_code": "SPX",
        "trade_date": "2025-12-10",
        "yahoo": 6900.0,
        "fred": 6886.68,
        "difference": pytest.approx(6900.0 / 6886.68 - 1),
    }


def test_only_common_days_are_compared() -> None:
    # FRED often lacks Friday's close on Friday evening: the days it has are still compared.
    check = _batch("fred", ["SPX"], end="2025-12-11")
    result = reconcile(_batch("yahoo", ["SPX"]), check, 0.0005)
    assert result.success and result.compared == 9


def test_no_common_day_is_a_failure_not_a_pass() -> None:
    result = reconcile(_batch("yahoo", ["SPX"]), _batch("fred", ["SPX"], "2025-11-01", "2025-11-20"), 0.0005)
    assert not result.success
    assert result.reason() == "reconciliation failed: yahoo and cross-check fred have no common day for SPX"


# --- freshness -------------------------------------------------------------------------------------


class Polls:
    """A source that publishes the day's closes on its n-th answer; records the waits."""

    def __init__(self, published_on: int | None) -> None:
        self.published_on = published_on
        self.answers = 0
        self.sleeps: list[float] = []

    def fetch(self) -> pd.DataFrame:
        self.answers += 1
        batch = _batch("yahoo", ["R2000G", "SPX", "DJIA"])
        if self.published_on is None or self.answers < self.published_on:
            batch = batch[batch["trade_date"] < "2025-12-12"]
        return batch


def test_missing_session_names_the_indices_without_the_day() -> None:
    batch = _batch("yahoo", ["R2000G", "SPX", "DJIA"])
    assert freshness.missing_session(batch, date(2025, 12, 12), ["R2000G", "SPX", "DJIA"]) == []
    partial = batch[~((batch["index_code"] == "R2000G") & (batch["trade_date"] == "2025-12-12"))]
    assert freshness.missing_session(partial, date(2025, 12, 12), ["R2000G", "SPX", "DJIA"]) == ["R2000G"]


def test_waits_every_interval_then_returns_the_published_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    polls = Polls(published_on=3)
    monkeypatch.setattr(freshness, "sleep", polls.sleeps.append)
    logged: list[str] = []
    s = Settings()
    batch = freshness.wait_for_session(
        polls.fetch,
        date(2025, 12, 12),
        ["R2000G", "SPX", "DJIA"],
        "yahoo",
        s.freshness_window_minutes,
        s.freshness_interval_minutes,
        logged.append,
    )
    assert polls.answers == 3 and polls.sleeps == [1800, 1800]
    assert batch["trade_date"].max() == pd.Timestamp("2025-12-12")
    assert logged[0] == (
        "yahoo has no close for 2025-12-12 yet (R2000G, SPX, DJIA); checking again in 30 min (1 of 6 waits)"
    )


def test_never_published_waits_the_whole_window_then_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    polls = Polls(published_on=None)
    monkeypatch.setattr(freshness, "sleep", polls.sleeps.append)
    with pytest.raises(NotYetPublished) as caught:
        freshness.wait_for_session(polls.fetch, date(2025, 12, 12), ["R2000G", "SPX", "DJIA"], "yahoo", 180, 30)
    # Defaults: up to 3 hours, every 30 minutes → 6 waits, 7 checks.
    assert polls.sleeps == [1800] * 6 and polls.answers == 7
    assert str(caught.value) == (
        "not yet published: yahoo has no close for 2025-12-12 for R2000G, SPX, DJIA after waiting 180 min (7 checks)"
    )


def test_defaults_of_the_live_settings() -> None:
    s = Settings()
    assert (s.freshness_window_minutes, s.freshness_interval_minutes) == (180, 30)
    assert s.reconcile_tolerance == 0.0005
    assert s.extract_retry_delays() == [30, 60, 120]  # backoff: 3 retries after 30 s, 1 min, 2 min
    assert Settings(extract_retry_delay_seconds=0).extract_retry_delays() == [0, 0, 0]
    assert Settings(extract_retries=0).extract_retry_delays() == []
