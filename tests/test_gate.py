"""The GX gate on its own (real Great Expectations, no Prefect)."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from smallcap.batch import from_long_text
from smallcap.gate import validate
from tests.conftest import LONG_HISTORY, YEAR, read_closes

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
    assert report.evaluated == 12


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
