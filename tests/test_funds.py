"""Fund/ETF returns equal known answers and an independent calculation on real prices.

Real daily closes from tests/data stand in for fund NAVs (a NAV file is the same shape: one value
per fund and day): SPX, DJIA and COMP every session 2022-01-03 to 2026-02-13; R2000G only
2024-11-14 to 2025-12-16, so it exercises short history and a stale file.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from smallcap.report.funds import (
    PERIODS,
    FundDataError,
    fund_performance,
    fund_table,
    read_navs,
    start_date,
    table_date,
)
from tests import independent
from tests.conftest import LONG_HISTORY
from tests.helpers import write_navs


@pytest.fixture(scope="module")
def navs(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return read_navs(write_navs(tmp_path_factory.mktemp("navs") / "navs.csv"))


# -- known answers: closes read off tests/data by hand -------------------------------------------


def test_known_answers_for_the_seed_week(navs: pd.DataFrame) -> None:
    (spx,) = fund_performance(navs, date(2026, 2, 13), ["SPX"])
    assert spx.as_of == date(2026, 2, 13) and spx.nav == 6836.17
    expected = {
        "1M": 6836.17 / 6963.74 - 1,  # 2026-01-13
        "3M": 6836.17 / 6737.49 - 1,  # 2025-11-13
        "6M": 6836.17 / 6466.58 - 1,  # 2025-08-13
        "1Y": 6836.17 / 6115.07 - 1,  # 2025-02-13
        "YTD": 6836.17 / 6845.50 - 1,  # 2025-12-31, the previous year's last close
    }
    assert spx.returns == pytest.approx(expected, rel=1e-12)


def test_start_on_a_non_session_takes_the_last_nav_before_it(navs: pd.DataFrame) -> None:
    spx, r2000g = fund_performance(navs, date(2025, 5, 30), ["SPX", "R2000G"])
    assert spx.returns["6M"] == pytest.approx(5911.69 / 6032.38 - 1, rel=1e-12)  # 2024-11-30 is a Saturday
    assert spx.returns["1Y"] == pytest.approx(5911.69 / 5235.48 - 1, rel=1e-12)  # 2024-05-30
    assert r2000g.returns["1M"] == pytest.approx(1378.21 / 1296.03 - 1, rel=1e-12)
    assert r2000g.returns["3M"] == pytest.approx(1378.21 / 1412.91 - 1, rel=1e-12)
    assert r2000g.returns["YTD"] == pytest.approx(1378.21 / 1470.13 - 1, rel=1e-12)
    assert r2000g.returns["1Y"] is None  # its history starts 2024-11-14: no NAV on or before 2024-05-30


@pytest.mark.parametrize(
    ("week_end", "period", "start"),
    [
        (date(2026, 3, 31), "1M", date(2026, 2, 28)),  # clipped to the month's length
        (date(2024, 3, 31), "1M", date(2024, 2, 29)),  # leap year
        (date(2025, 5, 31), "3M", date(2025, 2, 28)),
        (date(2026, 2, 13), "6M", date(2025, 8, 13)),
        (date(2026, 2, 13), "1Y", date(2025, 2, 13)),
        (date(2024, 2, 29), "1Y", date(2023, 2, 28)),
        (date(2026, 1, 2), "YTD", date(2025, 12, 31)),
    ],
)
def test_start_dates(week_end: date, period: str, start: date) -> None:
    assert start_date(week_end, period) == start


# -- an independent calculation over every week: plain Python, its own month arithmetic ------------


def test_every_friday_equals_the_independent_calculation(navs: pd.DataFrame) -> None:
    raw = pd.read_csv(LONG_HISTORY)
    compared, missing = 0, 0
    for code in ("SPX", "DJIA", "COMP"):
        own = raw[raw["index_code"] == code].sort_values("date")
        rows = [(date.fromisoformat(d), float(c)) for d, c in zip(own["date"], own["close"], strict=True)]
        friday = rows[0][0] + timedelta(days=(4 - rows[0][0].weekday()) % 7)
        while friday <= date(2026, 2, 13):
            (perf,) = fund_performance(navs, friday, [code])
            expected = independent.fund_returns(rows, friday)
            for period in PERIODS:
                if expected[period] is None:
                    assert perf.returns[period] is None, (code, friday, period)
                    missing += 1
                else:
                    assert perf.returns[period] == pytest.approx(expected[period], rel=1e-12), (code, friday, period)
                    compared += 1
            friday += timedelta(days=7)
    # SPX and DJIA: 215 Fridays each; COMP from 2024-11-15: 66. Early weeks lack a start value.
    assert compared + missing == 5 * (215 + 215 + 66)
    assert compared > 2000 and missing > 100


# -- configuration and bad input ---------------------------------------------------------------


def test_order_and_names_follow_the_configuration(navs: pd.DataFrame) -> None:
    rows = fund_performance(navs, date(2026, 2, 13), ["DJIA", "SPX"], {"SPX": "S&P 500 連動ETF"})
    assert [(r.fund_code, r.name) for r in rows] == [("DJIA", "DJIA"), ("SPX", "S&P 500 連動ETF")]
    everything = fund_performance(navs, date(2025, 12, 12))
    assert [r.fund_code for r in everything] == ["COMP", "DJIA", "R2000G", "SPX"]


def test_the_file_may_name_its_funds(tmp_path: Path) -> None:
    path = tmp_path / "navs.csv"
    path.write_text(
        "date,fund_code,nav,fund_name\n2025-12-30,F1,10000,米国小型成長株ファンド\n2026-02-13,F1,10500,米国小型成長株ファンド\n",
        encoding="utf-8",
    )
    (row,) = fund_table(path, date(2026, 2, 13))
    assert row.name == "米国小型成長株ファンド"
    assert row.returns["YTD"] == pytest.approx(0.05)
    assert row.returns["1M"] == pytest.approx(0.05)  # 2025-12-30 is the last NAV on or before 2026-01-13
    assert row.returns["1Y"] is None


def test_a_stale_fund_is_marked_without_figures(tmp_path: Path) -> None:
    path = write_navs(tmp_path / "navs.csv")
    table = fund_table(path, date(2026, 2, 13), ["SPX", "R2000G"])
    spx, r2000g = table
    assert spx.unavailable is None and spx.as_of == date(2026, 2, 13)
    assert (r2000g.unavailable, r2000g.last_nav, r2000g.as_of, r2000g.nav) == ("stale", date(2025, 12, 16), None, None)
    assert r2000g.returns == dict.fromkeys(PERIODS)  # never an old figure
    assert table.notes() == [
        "fund R2000G: last NAV 2025-12-16 is more than 7 days before 2026-02-13; shown without figures"
        " (update the NAV file)"
    ]


def test_a_fund_without_navs_is_marked_without_figures(tmp_path: Path) -> None:
    path = write_navs(tmp_path / "navs.csv", ["SPX"])
    table = fund_table(path, date(2026, 2, 13), ["SPX", "IWO"])
    assert [(r.fund_code, r.unavailable) for r in table] == [("SPX", None), ("IWO", "missing")]
    assert table.notes() == ["fund IWO: no NAV on or before 2026-02-13; shown without figures"]
    early = fund_table(path, date(2021, 12, 31), ["SPX"])  # before the file's first NAV
    assert [r.unavailable for r in early] == ["missing"]


@pytest.mark.parametrize(
    ("week_end", "month_end"),
    [
        (date(2026, 2, 13), date(2026, 1, 31)),  # the seed's week
        (date(2024, 12, 6), date(2024, 11, 30)),  # the seed's table: 2024年11月末
        (date(2025, 1, 3), date(2024, 12, 31)),  # across a year
        (date(2024, 3, 28), date(2024, 2, 29)),  # Good Friday week, leap February
        (date(2025, 10, 31), date(2025, 10, 31)),  # a week ending on a month end is its own
    ],
)
def test_month_end_table_date(week_end: date, month_end: date) -> None:
    assert table_date(week_end, "month_end") == month_end == independent.last_month_end(week_end)
    assert table_date(week_end, "week") == week_end


def test_month_end_tables_equal_the_independent_calculation(tmp_path: Path) -> None:
    path = write_navs(tmp_path / "navs.csv", ["SPX"])
    raw = pd.read_csv(LONG_HISTORY)
    own = raw[raw["index_code"] == "SPX"].sort_values("date")
    rows = [(date.fromisoformat(d), float(c)) for d, c in zip(own["date"], own["close"], strict=True)]
    friday = date(2024, 1, 5)
    while friday <= date(2026, 2, 13):
        table = fund_table(path, friday, ["SPX"], as_of="month_end")
        assert (table.as_of, table.month_end) == (independent.last_month_end(friday), True)
        expected = independent.fund_returns(rows, table.as_of)
        (perf,) = table
        assert perf.returns == pytest.approx(expected, rel=1e-12), friday
        assert perf.as_of is not None and table.as_of - perf.as_of < timedelta(days=4)  # the month's last session
        friday += timedelta(days=7)


BAD_FILES = {
    "missing column": ("date,fund_code,price\n2026-02-13,IWO,300\n", "missing column(s) nav"),
    "header only": ("date,fund_code,nav\n", "has a header but no rows"),
    "empty": ("", "is empty"),
    "non-date": ("date,fund_code,nav\n2026-02-13,IWO,300\n13/02/2026,IWO,301\n", "line 3: date='13/02/2026'"),
    "text nav": ("date,fund_code,nav\n2026-02-13,IWO,abc\n", "nav must be a number > 0: 1 row(s), e.g. line 2"),
    "zero nav": ("date,fund_code,nav\n2026-02-13,IWO,0\n", "nav must be a number > 0"),
    "blank code": ("date,fund_code,nav\n2026-02-13,,300\n", "1 row(s) without a fund_code, e.g. line 2"),
    "duplicate": (
        "date,fund_code,nav\n2026-02-13,IWO,300\n2026-02-13,IWO,301\n",
        "2 row(s) share a (fund_code, date), e.g. IWO 2026-02-13",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_nav_files_fail_with_one_clear_line(tmp_path: Path, case: str) -> None:
    text, expected = BAD_FILES[case]
    path = tmp_path / "navs.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FundDataError) as err:
        fund_table(path, date(2026, 2, 13))
    assert expected in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FundDataError, match=r"fund NAV file .*nope\.csv not found"):
        fund_table(tmp_path / "nope.csv", date(2026, 2, 13))
