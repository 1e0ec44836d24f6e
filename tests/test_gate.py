"""The GX gate on its own (real Great Expectations, no Prefect)."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from smallcap.quality.gate import GateConfig, daily_moves, session_coverage, validate
from smallcap.sources.batch import from_long_text
from tests.conftest import LONG_HISTORY, SAMPLE, YEAR, read_closes

TODAY = date(2026, 11, 28)


def batch_from(frame: pd.DataFrame, end: date) -> pd.DataFrame:
    text = frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).astype(str)
    return from_long_text(text, "csv", date(2000, 1, 1), end)


@pytest.fixture(scope="module")
def good() -> pd.DataFrame:
    return batch_from(read_closes(YEAR), date(2025, 11, 21))


def test_real_data_passes(good: pd.DataFrame) -> None:
    report = validate(good, week_ending=date(2025, 11, 21), today=TODAY)
    assert report.success, report.reason()
    assert report.evaluated == 18
    assert not report.warnings


def test_real_long_history_passes_up_to_the_last_common_week() -> None:
    batch = batch_from(read_closes(LONG_HISTORY), date(2025, 12, 12))
    assert validate(batch, week_ending=date(2025, 12, 12), today=TODAY).success


def _fails_with(batch: pd.DataFrame, *expected: str, week: date = date(2025, 11, 21)) -> str:
    report = validate(batch, week_ending=week, today=TODAY)
    assert not report.success
    reason = report.reason()
    for text in expected:
        assert text in reason, reason
    assert "\n" not in reason
    return reason


def test_negative_close_names_the_row(good: pd.DataFrame) -> None:
    bad = good.copy()
    bad.loc[(bad["index_code"] == "SPX") & (bad["trade_date"] == "2025-03-03"), "close"] = -5868.55
    _fails_with(bad, "close > 0: 1 row(s)", "index_code=SPX trade_date=2025-03-03 close=-5868.55")


def test_null_close_and_null_date(good: pd.DataFrame) -> None:
    bad = good.copy()
    bad.loc[3, "close"] = np.nan
    bad.loc[7, "trade_date"] = pd.NaT
    _fails_with(bad, "close is a number: 1 row(s)", "trade_date is an ISO date: 1 row(s)")


def test_duplicate_day(good: pd.DataFrame) -> None:
    bad = pd.concat([good, good.iloc[[10]]], ignore_index=True)
    _fails_with(bad, "one row per (index_code, trade_date): 2 row(s)")


def test_missing_index(good: pd.DataFrame) -> None:
    _fails_with(good[good["index_code"] != "DJIA"], "all of R2000G,SPX,DJIA present", "missing=['DJIA']")


def test_index_ending_early(good: pd.DataFrame) -> None:
    bad = good[~((good["index_code"] == "R2000G") & (good["trade_date"] > "2025-11-19"))]
    _fails_with(
        bad, "every index ends on the same date", "index_code=R2000G first_date=2024-11-20 last_date=2025-11-19"
    )


def test_stale_batch_for_the_requested_week(good: pd.DataFrame) -> None:
    _fails_with(good, "every index ends on the week's last session 2025-11-28", week=date(2025, 11, 28))


def test_future_date(good: pd.DataFrame) -> None:
    report = validate(good, week_ending=date(2025, 11, 21), today=date(2025, 11, 20))
    assert "trade_date not in the future (after 2025-11-20): 3 row(s)" in report.reason()


def test_unknown_code_and_extra_column(good: pd.DataFrame) -> None:
    bad = good.assign(note="x")
    bad.loc[0, "index_code"] = "RUT"
    _fails_with(bad, "index_code is one of R2000G,SPX,DJIA: 1 row(s)", "'unexpected': ['note']")


def test_missing_column_is_reported_not_crashed(good: pd.DataFrame) -> None:
    _fails_with(
        good.drop(columns=["close"]),
        "columns are exactly",
        "'missing': ['close']",
        'close > 0: failed (error=The column "close" in BatchData does not exist.)',
    )


# ---- the calendar, the sequence and the warehouse: checks on frames derived from the rows


def _row(frame: pd.DataFrame, code: str, day: str) -> pd.Series:
    return (frame["index_code"] == code) & (frame["trade_date"] == pd.Timestamp(day))


def test_missing_session_is_named(good: pd.DataFrame) -> None:
    bad = good[~_row(good, "SPX", "2025-04-09")]
    _fails_with(
        bad,
        "every NYSE session present for every index (from its first date to 2025-11-21): 1 row(s)",
        "index_code=SPX trade_date=2025-04-09",
    )


@pytest.mark.parametrize(
    ("day", "what"),
    [("2025-04-18", "Good Friday"), ("2025-11-22", "a Saturday"), ("2025-07-04", "Independence Day")],
)
def test_date_on_a_non_session_is_named(good: pd.DataFrame, day: str, what: str) -> None:
    extra = good[_row(good, "DJIA", "2025-04-17")].assign(trade_date=pd.Timestamp(day))
    bad = pd.concat([good, extra], ignore_index=True)
    reason = _fails_with(
        bad, "every trade_date is an NYSE session (no weekend or holiday): 1 row(s)", f"trade_date={day}"
    )
    assert "every NYSE session present" not in reason, what


def test_half_days_and_holiday_weeks_are_sessions(good: pd.DataFrame) -> None:
    # The sample holds the 2024-11-29 and 2024-12-24 half-days and no Thanksgiving or Good Friday.
    days = set(good["trade_date"].dt.date)
    assert {date(2024, 11, 29), date(2024, 12, 24), date(2025, 7, 3)} <= days
    assert not {date(2024, 11, 28), date(2025, 4, 18)} & days
    coverage = session_coverage(good, date(2025, 11, 21))
    assert coverage["in_batch"].all() and coverage["is_session"].all()
    assert len(coverage) == 3 * 252


def test_an_index_may_start_later_but_has_no_gap(good: pd.DataFrame) -> None:
    later = good[~((good["index_code"] == "R2000G") & (good["trade_date"] < "2025-01-02"))]
    assert validate(later, week_ending=date(2025, 11, 21), today=TODAY).success


def test_april_2025_moves_pass_without_warning(good: pd.DataFrame) -> None:
    moves = daily_moves(good)
    april = moves[(moves["trade_date"] >= "2025-04-01") & (moves["trade_date"] <= "2025-04-30")]
    # Known answer: SPX closed 4982.77 on 2025-04-08 and 5456.90 on 2025-04-09 (+9.52 %).
    spx = april[_row(april, "SPX", "2025-04-09")].iloc[0]
    assert (spx["prev_close"], spx["close"]) == (4982.77, 5456.90)
    assert spx["move"] == pytest.approx(5456.90 / 4982.77 - 1)
    assert april["move"].abs().max() > 0.09  # real large moves are in the batch...
    report = validate(good, week_ending=date(2025, 11, 21), today=TODAY)
    assert report.success and not report.warnings  # ...and raise no alarm


def test_large_move_warns_but_passes(good: pd.DataFrame) -> None:
    bad = good.copy()
    prev = bad.loc[_row(bad, "R2000G", "2025-11-20"), "close"].iloc[0]
    bad.loc[_row(bad, "R2000G", "2025-11-21"), "close"] = round(prev * 1.2, 2)
    report = validate(bad, week_ending=date(2025, 11, 21), today=TODAY)
    assert report.success
    (warned,) = report.warnings
    assert warned.severity == "warning" and warned.kind == "expect_column_values_to_be_between"
    assert warned.line().startswith(
        "daily move within ±15%: 1 row(s) fail, e.g. index_code=R2000G trade_date=2025-11-21"
    )
    assert "move_pct=20.0" in warned.line()


def test_implausible_move_is_an_error(good: pd.DataFrame) -> None:
    bad = good.copy()
    prev = bad.loc[_row(bad, "SPX", "2025-11-20"), "close"].iloc[0]
    bad.loc[_row(bad, "SPX", "2025-11-21"), "close"] = round(prev * 1.4, 2)
    reason = _fails_with(bad, "daily move within ±25% (beyond is a data error): 1 row(s)", "move_pct=40.0")
    assert "±15%" not in reason  # the warning is reported separately, not as a failure


def test_bounds_come_from_the_config(good: pd.DataFrame) -> None:
    report = validate(good, week_ending=date(2025, 11, 21), today=TODAY, config=GateConfig(move_warning=0.05))
    assert report.success
    assert {w.expectation for w in report.warnings} == {"daily move within ±5%"}
    assert any(w.unexpected_count >= 3 for w in report.warnings)  # April 2025


def _published(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["index_code", "trade_date", "close"]].copy()


def test_revised_close_is_an_error_unless_allowed(good: pd.DataFrame) -> None:
    published = _published(good[good["trade_date"] <= "2025-11-14"])
    revised = good.copy()
    revised.loc[_row(revised, "DJIA", "2025-11-14"), "close"] = 47200.00  # published 47147.48
    report = validate(revised, date(2025, 11, 21), TODAY, published=published)
    assert not report.success
    assert [f.line() for f in report.failures] == [
        "committed closes unchanged (within 0.0001%): 1 row(s) fail, "
        "e.g. index_code=DJIA trade_date=2025-11-14 published_close=47147.48 close=47200.0"
    ]
    allowed = validate(revised, date(2025, 11, 21), TODAY, published=published, config=GateConfig(allow_revisions=True))
    assert allowed.success
    (warned,) = allowed.warnings
    assert warned.expectation.endswith("revisions allowed by this run")
    assert allowed.revisions == [
        {
            "index_code": "DJIA",
            "trade_date": date(2025, 11, 14),
            "published_close": 47147.48,
            "close": 47200.0,
            "change": pytest.approx(47200.0 / 47147.48 - 1),
        }
    ]


def test_same_closes_again_are_no_revision(good: pd.DataFrame) -> None:
    report = validate(good, date(2025, 11, 21), TODAY, published=_published(good))
    assert report.success and not report.warnings and not report.revisions
    # A float's last bits (e.g. a source returning 6602.990000001) are within the tolerance.
    nudged = _published(good).assign(close=lambda f: f["close"] * (1 + 1e-9))
    assert validate(good, date(2025, 11, 21), TODAY, published=nudged).success


def test_unsorted_rows_are_fine(good: pd.DataFrame) -> None:
    shuffled = good.sample(frac=1, random_state=7).reset_index(drop=True)
    report = validate(shuffled, week_ending=date(2025, 11, 21), today=TODAY)
    assert report.success and not report.warnings


# ---- good real data: every week each file covers, as the flow would extract it


def _weeks_covered(frame: pd.DataFrame) -> list[date]:
    from smallcap.calendar import last_session_of_week, sessions_between

    spans = frame.groupby("index_code")["date"].agg(["min", "max"])
    start, end = spans["min"].max().date(), spans["max"].min().date()
    weeks = {last_session_of_week(d) for d in sessions_between(start, end)}
    return sorted(w for w in weeks if w <= end)


@pytest.mark.parametrize(
    ("path", "first", "last", "count"),
    [
        (YEAR, date(2024, 11, 22), date(2025, 11, 21), 53),
        (LONG_HISTORY, date(2024, 11, 15), date(2025, 12, 12), 57),  # R2000G runs 2024-11-14 to 2025-12-16
    ],
    ids=["year", "long-history"],
)
def test_every_week_of_real_data_passes_without_alarm(path, first: date, last: date, count: int) -> None:  # noqa: ANN001
    from smallcap.settings import Settings

    closes = read_closes(path)
    weeks = _weeks_covered(closes)
    assert (weeks[0], weeks[-1], len(weeks)) == (first, last, count)
    lookback = pd.Timedelta(days=Settings().lookback_days)
    alarms = {}
    for week in weeks:
        window = closes[(closes["date"] <= pd.Timestamp(week)) & (closes["date"] >= pd.Timestamp(week) - lookback)]
        report = validate(batch_from(window, week), week_ending=week, today=TODAY)
        if not report.success or report.warnings:
            alarms[week] = [c.line() for c in report.failures + report.warnings]
    assert alarms == {}


def test_gate_bounds_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from smallcap.settings import Settings

    defaults = Settings()
    assert GateConfig() == GateConfig.from_settings(defaults)
    assert (GateConfig().move_warning, GateConfig().move_error, GateConfig().revision_tolerance) == (
        defaults.move_warning,
        defaults.move_error,
        defaults.revision_tolerance,
    )
    monkeypatch.setenv("SMALLCAP_MOVE_WARNING", "0.1")
    config = GateConfig.from_settings(Settings(), allow_revisions=True)
    assert (config.move_warning, config.allow_revisions) == (0.1, True)


# -- rows after the week's end: left out of the batch, named in a warning -------------------------

SATURDAY = {"date": "2026-02-14", "index_code": "SPX", "close": "6840.00", "source_symbol": "^GSPC"}


def _sample_text(*extra: dict[str, str]) -> pd.DataFrame:
    text = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    return pd.concat([text, pd.DataFrame(list(extra))], ignore_index=True)


def test_a_row_after_the_weeks_end_is_left_out_and_named_in_a_warning() -> None:
    batch = from_long_text(_sample_text(SATURDAY), "csv", date(2025, 1, 1), date(2026, 2, 13))
    assert batch["trade_date"].max() == pd.Timestamp("2026-02-13")  # not in the batch: never landed
    report = validate(batch, week_ending=date(2026, 2, 13), today=TODAY)
    assert report.success, report.reason()
    (warning,) = report.warnings
    assert (warning.suite, warning.severity, warning.unexpected_count) == ("after_week", "warning", 1)
    assert warning.line() == (
        "no rows after the week's end 2026-02-13 (such rows are left out, not landed): 1 row(s) fail, "
        "e.g. index_code=SPX trade_date=2026-02-14"
    )
    assert "1 warned of 18 checks" in report.summary()


def test_without_rows_after_the_weeks_end_nothing_is_named() -> None:
    batch = from_long_text(_sample_text(), "csv", date(2025, 1, 1), date(2026, 2, 13))
    report = validate(batch, week_ending=date(2026, 2, 13), today=TODAY)
    assert report.success and report.warnings == []
    assert [c.success for c in report.checks if c.suite == "after_week"] == [True]


def test_an_earlier_week_names_every_later_row() -> None:
    # Known answer: the sessions after 2026-02-06 in the file, three indices each.
    closes = read_closes(SAMPLE)
    later = closes[closes["date"] > "2026-02-06"]
    batch = from_long_text(_sample_text(), "csv", date(2025, 1, 1), date(2026, 2, 6))
    (warning,) = validate(batch, week_ending=date(2026, 2, 6), today=TODAY).warnings
    assert warning.unexpected_count == len(later) == 15
