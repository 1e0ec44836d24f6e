"""The fund/ETF performance table: returns over fixed periods from a CSV of daily NAVs or prices.

The file is long: `date,fund_code,nav` (ISO dates; an optional `fund_name` column names the fund).
Return conventions, as of the table's date W — the reported week's end, or with `as_of="month_end"`
the last calendar month end on or before it (the seed prints its table "2024年11月末時点"):

- End value: the fund's NAV on its last date on or before W (`as_of`). A fund whose last NAV is
  more than `max_age_days` before W, or that has no NAV on or before W, is shown without figures
  and with its reason (`note`), never with an old figure; the weekly run goes on and says so.
- 1M, 3M, 6M, 1Y: the start value is the NAV on the last available date on or before W minus 1, 3,
  6 or 12 calendar months, the day clipped to the month's length (2026-03-31 − 1M = 2026-02-28).
- YTD: the start value is the NAV on the last available date on or before 31 December of the
  year before W (the previous year's last NAV).
- Return = end NAV / start NAV − 1, a fraction. It is a price return: distributions count only if
  the file holds distribution-adjusted values (e.g. 分配金再投資基準価額, adjusted closes).
- No NAV on or before the start date (history too short): the return is None (printed "—").
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping, Sequence
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
    as_of: date | None  # the NAV date the returns end on; None when the fund has none on or before the table's date
    nav: float | None
    returns: dict[str, float | None] = field(default_factory=dict)  # keyed by PERIODS, fractions
    # Why the fund is shown without figures: "stale" (last NAV too old) or "missing" (none on or before).
    unavailable: str | None = None
    last_nav: date | None = None  # the fund's last NAV date on or before the table's date, if any


@dataclass(frozen=True)
class FundTable:
    """The table as printed: its date (the week's end or a month end) and one row per fund."""

    as_of: date
    month_end: bool
    rows: list[FundPerformance]
    max_age_days: int = 7

    def __iter__(self) -> Iterator[FundPerformance]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def notes(self) -> list[str]:
        """One line per fund shown without figures, for the run's notes."""
        out = []
        for r in self.rows:
            if r.unavailable == "stale":
                out.append(
                    f"fund {r.fund_code}: last NAV {r.last_nav} is more than {self.max_age_days} days before "
                    f"{self.as_of}; shown without figures (update the NAV file)"
                )
            elif r.unavailable == "missing":
                out.append(f"fund {r.fund_code}: no NAV on or before {self.as_of}; shown without figures")
        return out


def table_date(week_end: date, as_of: str = "week") -> date:
    """The fund table's date: the week's end, or the last calendar month end on or before it."""
    if as_of == "week":
        return week_end
    if as_of == "month_end":
        if week_end.day == calendar.monthrange(week_end.year, week_end.month)[1]:
            return week_end
        return week_end.replace(day=1) - timedelta(days=1)
    raise ValueError(f"unknown fund table date {as_of!r}: choose week or month_end")


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
    """One row per fund as of `week_end` (the table's date), in the order of `funds` (every fund in
    `navs`, sorted, when empty). A fund with no NAV, or only an old one, gets no figures and a reason."""
    codes = list(funds) or sorted(navs["fund_code"].unique())
    names = names or {}
    no_figures = dict.fromkeys(PERIODS)
    rows: list[FundPerformance] = []
    for code in codes:
        own = navs[navs["fund_code"] == code]
        file_name = next((n for n in own["fund_name"] if n), "")
        name = names.get(code) or file_name or code
        series = own.set_index("date")["nav"]
        upto = series.loc[: pd.Timestamp(week_end)]
        if upto.empty:
            rows.append(FundPerformance(code, name, None, None, dict(no_figures), "missing"))
            continue
        as_of = upto.index[-1].date()
        if as_of < week_end - timedelta(days=max_age_days):
            rows.append(FundPerformance(code, name, None, None, dict(no_figures), "stale", as_of))
            continue
        end = float(upto.iloc[-1])
        returns: dict[str, float | None] = {}
        for period in PERIODS:
            start = _nav_on_or_before(series, start_date(week_end, period))
            returns[period] = None if start is None else end / start - 1
        rows.append(FundPerformance(code, name, as_of, end, returns, last_nav=as_of))
    return rows


def fund_table(
    path: Path,
    week_end: date,
    funds: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
    max_age_days: int = 7,
    as_of: str = "week",
) -> FundTable:
    """Read `path` and compute the table as of `table_date(week_end, as_of)`; a bad file raises, naming it."""
    day = table_date(week_end, as_of)
    rows = fund_performance(read_navs(path), day, funds, names, max_age_days)
    return FundTable(day, as_of == "month_end", rows, max_age_days)
