"""Independent calculations of the marts (pandas) and of the fund table (plain Python), to check against.

Written from the definitions, not from the SQL: a week is Monday–Sunday and closes on its last
row; the previous week is the previous calendar week; the average is a 26-week rolling mean.
"""

from __future__ import annotations

import bisect
import calendar
from datetime import date, timedelta

import pandas as pd


def weekly_close(daily: pd.DataFrame) -> pd.DataFrame:
    d = daily.sort_values("date").copy()
    d["week"] = d["date"].dt.to_period("W-SUN")
    last = d.groupby(["index_code", "week"], as_index=False).tail(1).sort_values(["index_code", "week"])
    out = []
    for code, g in last.groupby("index_code"):
        g = g.set_index("week")
        prev = g["close"].reindex(g.index - 1).to_numpy()  # the calendar week before, if any
        out.append(
            pd.DataFrame(
                {
                    "index_code": code,
                    "week_ending": g["date"].dt.date.to_numpy(),
                    "close": g["close"].to_numpy(),
                    "prev_close": prev,
                    "change": g["close"].to_numpy() - prev,
                    "return_1w": g["close"].to_numpy() / prev - 1,
                }
            )
        )
    return pd.concat(out, ignore_index=True).sort_values(["index_code", "week_ending"]).reset_index(drop=True)


def relative_strength(
    weekly: pd.DataFrame, numerator: str = "R2000G", denominator: str = "SPX", weeks: int = 26
) -> pd.DataFrame:
    """numerator / denominator at each week's close and its `weeks`-week rolling mean (consecutive weeks)."""
    wide = weekly.pivot(index="week_ending", columns="index_code", values="close").dropna(
        subset=[numerator, denominator]
    )
    ratio = wide[numerator] / wide[denominator]
    ma = ratio.rolling(weeks, min_periods=weeks).mean()
    return pd.DataFrame(
        {
            "week_ending": wide.index,
            "numerator_close": wide[numerator].to_numpy(),
            "denominator_close": wide[denominator].to_numpy(),
            "ratio": ratio.to_numpy(),
            "ma_26w": ma.to_numpy(),
            "deviation_26w": (ratio / ma - 1).to_numpy(),
        }
    ).reset_index(drop=True)


def deviation_forms(daily: pd.DataFrame, weeks: int = 26) -> pd.DataFrame:
    """Every 26-week deviation of R2000G/SPX, straight from the daily closes, one row per week.

    For the week ending on its last session: the weekly ratio is that session's R2000G / SPX; the
    weekly basis averages the weekly ratios of that calendar week and the 25 before it (all 26
    must exist); the daily basis averages R2000G / SPX on every session of those same 26 weeks.
    relative = ratio / average - 1; points = ratio - average.
    """
    wide = daily.pivot(index="date", columns="index_code", values="close")[["R2000G", "SPX"]].dropna()
    day_ratio = (wide["R2000G"] / wide["SPX"]).rename("ratio").to_frame()
    day_ratio["week"] = day_ratio.index.to_period("W-SUN")
    last_rows = day_ratio.groupby("week").tail(1)  # the week's last session
    weekly_ratio = pd.Series(last_rows["ratio"].to_numpy(), index=last_rows["week"])
    rows = []
    for week_ending, week, ratio in zip(last_rows.index, last_rows["week"], last_rows["ratio"], strict=True):
        span = [week - k for k in range(weeks)]
        if all(w in weekly_ratio.index for w in span):
            ma_weekly = float(weekly_ratio.loc[span].mean())
            ma_daily = float(day_ratio.loc[day_ratio["week"].isin(span), "ratio"].mean())
        else:
            ma_weekly = ma_daily = float("nan")
        rows.append(
            {
                "week_ending": week_ending.date(),
                "ratio": ratio,
                "ma_26w": ma_weekly,
                "ma_26w_daily": ma_daily,
                "deviation_26w": ratio / ma_weekly - 1,
                "deviation_26w_points": ratio - ma_weekly,
                "deviation_26w_daily": ratio / ma_daily - 1,
                "deviation_26w_daily_points": ratio - ma_daily,
            }
        )
    return pd.DataFrame(rows)


def months_back(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def last_month_end(d: date) -> date:
    """The last calendar month end on or before d: d itself when tomorrow starts a new month."""
    if (d + timedelta(days=1)).day == 1:
        return d
    return date(d.year, d.month, 1) - timedelta(days=1)


def fund_returns(rows: list[tuple[date, float]], week_end: date) -> dict[str, float | None]:
    """Fund returns over PERIODS from (day, nav) rows in date order: the last NAV on or before each day."""
    days = [d for d, _ in rows]

    def at(day: date) -> float | None:
        i = bisect.bisect_right(days, day)
        return rows[i - 1][1] if i else None

    end = at(week_end)
    starts = {"1M": months_back(week_end, 1), "3M": months_back(week_end, 3), "6M": months_back(week_end, 6)}
    starts["1Y"] = months_back(week_end, 12)
    starts["YTD"] = date(week_end.year - 1, 12, 31)
    out: dict[str, float | None] = {}
    for period, day in starts.items():
        base = at(day)
        out[period] = None if base is None or end is None else end / base - 1
    return out
