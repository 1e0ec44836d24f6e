"""The fund/ETF performance table: returns over fixed periods from a CSV of daily NAVs or prices.

The file is long: `date,fund_code,nav` (ISO dates; an optional `fund_name` column names the fund).
Return conventions, as of the reported week's end W:

- End value: the fund's NAV on its last date on or before W (`as_of`). A fund whose last NAV is
  more than `max_age_days` before W is an error: an old figure is never published as this week's.
- 1M, 3M, 6M, 1Y: the start value is the NAV on the last available date on or before W minus 1, 3,
  6 or 12 calendar months, the day clipped to the month's length (2026-03-31 − 1M = 2026-02-28).
- YTD: the start value is the NAV on the last available date on or before 31 December of the
  year before W (the previous year's last NAV).
- Return = end NAV / start NAV − 1, a fraction. It is a price return: distributions count only if
  the file holds distribution-adjusted values (e.g. 分配金再投資基準価額, adjusted closes).
- No NAV on or before the start date (history too short): the return is None (printed "—").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from smallcap.errors import SmallcapError

PERIODS: tuple[str, ...] = ("1M", "3M", "6M", "1Y", "YTD")
_MONTHS = {"1M": 1, "3M": 3, "6M": 6, "1Y": 12}
REQUIRED = ("date", "fund_code", "nav")


class FundDataError(SmallcapError):
    """The fund NAV file or the configured fund list cannot give a correct table."""


@dataclass(frozen=True)
class FundPerformance:
    fund_code: str
    name: str
    as_of: date  # the NAV date the returns end on
    nav: float
    returns: dict[str, float | None] = field(default_factory=dict)  # keyed by PERIODS, fractions


def start_date(week_end: date, period: str) -> date:
    """The date whose NAV (last on or before it) starts `period` ending at `week_end`."""
    if period == "YTD":
        return date(week_end.year - 1, 12, 31)
    months = _MONTHS[period]
    # DateOffset clips the day to the target month's length (Mar 31 − 1 month = Feb 28/29).
    return (pd.Timestamp(week_end) - pd.DateOffset(months=months)).date()


def _example(rows: pd.DataFrame, raw: pd.DataFrame, column: str) -> str:
    i = rows.index[0]
    return f"line {i + 2}: {column}={raw.loc[i, column]!r}"


def read_navs(path: Path) -> pd.DataFrame:
    """Read and check the NAV file: columns date (Timestamp), fund_code, nav (float), fund_name."""
    where = f"fund NAV file {path}"
    if not path.is_file():
        raise FundDataError(f"{where} not found")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise FundDataError(f"{where} is empty") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise FundDataError(f"{where} is not a readable UTF-8 CSV ({str(exc).splitlines()[0]})") from None
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise FundDataError(f"{where}: missing column(s) {', '.join(missing)} (needs {','.join(REQUIRED)})")
    if raw.empty:
        raise FundDataError(f"{where} has a header but no rows")

    navs = pd.DataFrame(
        {
            "date": pd.to_datetime(raw["date"].str.strip(), format="%Y-%m-%d", errors="coerce"),
            "fund_code": raw["fund_code"].fillna("").str.strip(),
            "nav": pd.to_numeric(raw["nav"].str.strip(), errors="coerce"),
        }
    )
    navs["fund_name"] = raw["fund_name"].fillna("").str.strip() if "fund_name" in raw else ""
    bad = navs[navs["date"].isna()]
    if len(bad):
        raise FundDataError(
            f"{where}: {len(bad)} row(s) without an ISO date YYYY-MM-DD, e.g. {_example(bad, raw, 'date')}"
        )
    bad = navs[navs["fund_code"] == ""]
    if len(bad):
        raise FundDataError(f"{where}: {len(bad)} row(s) without a fund_code, e.g. line {bad.index[0] + 2}")
    bad = navs[~(navs["nav"] > 0)]  # also catches NaN (not a number)
    if len(bad):
        raise FundDataError(f"{where}: nav must be a number > 0: {len(bad)} row(s), e.g. {_example(bad, raw, 'nav')}")
    dup = navs[navs.duplicated(["fund_code", "date"], keep=False)]
    if len(dup):
        first = dup.iloc[0]
        raise FundDataError(
            f"{where}: {len(dup)} row(s) share a (fund_code, date), e.g. {first['fund_code']} {first['date']:%Y-%m-%d}"
        )
    return navs.sort_values(["fund_code", "date"]).reset_index(drop=True)


def _nav_on_or_before(series: pd.Series, day: date) -> float | None:
    """`series` is one fund's NAVs indexed by sorted dates."""
    before = series.loc[: pd.Timestamp(day)]
    return None if before.empty else float(before.iloc[-1])


def fund_performance(
    navs: pd.DataFrame,
    week_end: date,
    funds: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
    max_age_days: int = 7,
) -> list[FundPerformance]:
    """One row per fund, in the order of `funds` (every fund in `navs`, sorted, when empty)."""
    codes = list(funds) or sorted(navs["fund_code"].unique())
    unknown = [c for c in codes if c not in set(navs["fund_code"])]
    if unknown:
        raise FundDataError(f"fund NAVs: no rows for configured fund(s) {', '.join(unknown)}")
    names = names or {}
    rows: list[FundPerformance] = []
    for code in codes:
        own = navs[navs["fund_code"] == code]
        series = own.set_index("date")["nav"]
        upto = series.loc[: pd.Timestamp(week_end)]
        if upto.empty:
            raise FundDataError(f"fund NAVs: {code} has no NAV on or before {week_end}")
        as_of = upto.index[-1].date()
        if as_of < week_end - timedelta(days=max_age_days):
            raise FundDataError(
                f"fund NAVs: {code}'s last NAV on or before {week_end} is from {as_of}, "
                f"more than {max_age_days} days earlier: update the file"
            )
        end = float(upto.iloc[-1])
        returns: dict[str, float | None] = {}
        for period in PERIODS:
            start = _nav_on_or_before(series, start_date(week_end, period))
            returns[period] = None if start is None else end / start - 1
        file_name = next((n for n in own["fund_name"] if n), "")
        rows.append(FundPerformance(code, names.get(code) or file_name or code, as_of, end, returns))
    return rows


def fund_table(
    path: Path, week_end: date, funds: Sequence[str] = (), names: Mapping[str, str] | None = None, max_age_days: int = 7
) -> list[FundPerformance]:
    """Read `path` and compute the table; errors name the file."""
    try:
        return fund_performance(read_navs(path), week_end, funds, names, max_age_days)
    except FundDataError as exc:
        message = str(exc)
        if message.startswith("fund NAVs:"):
            message = message.replace("fund NAVs:", f"fund NAV file {path}:", 1)
        raise FundDataError(message) from None
