"""The week's figures, read from the published warehouse's marts (read-only)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from smallcap.errors import SmallcapError
from smallcap.universe import Universe, read


@dataclass(frozen=True)
class IndexWeek:
    """One index's week as marts.weekly_close holds it (the week's page lists every index of the universe)."""

    index_code: str
    close: float
    prev_close: float
    change: float
    return_1w: float
    name_en: str = ""  # from the universe file
    name_ja: str = ""


@dataclass(frozen=True)
class WeekFigures:
    week_ending: date
    close: float  # the comment pair's numerator (R2000G)
    prev_close: float
    change: float
    return_1w: float
    last_week_change: float | None  # R2000G's change the week before, for the verb
    dow_return_1w: float  # the first and last of the universe's large caps (the Dow, the S&P 500)
    spx_return_1w: float
    numerator_close: float  # R2000G / SPX
    denominator_close: float
    ratio: float
    ma_26w: float | None
    deviation_26w: float | None  # relative, weekly basis
    # The other forms (see marts.relative_strength) and which one the drafts print.
    deviation_26w_points: float | None = None
    ma_26w_daily: float | None = None
    deviation_26w_daily: float | None = None
    deviation_26w_daily_points: float | None = None
    deviation_basis: str = "weekly"
    deviation_form: str = "relative"
    indices: tuple[IndexWeek, ...] = ()  # every index's close and change, in the universe file's order
    pair: str = "R2000G/SPX"  # the comment's pair (marts.relative_strength.pair)
    window_weeks: int = 26  # its moving average's weeks
    large_caps: tuple[IndexWeek, ...] = ()  # the indices the comparison sentence names (empty: Dow, S&P 500)
    others: tuple[IndexWeek, ...] = ()  # the further indices: the drafts' short table of closes

    @property
    def deviation(self) -> float | None:
        """The configured deviation: relative is a fraction, points a difference of ratios."""
        return getattr(self, deviation_column(self.deviation_basis, self.deviation_form))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def deviation_column(basis: str, form: str) -> str:
    """The marts.relative_strength column holding the deviation of this basis and form."""
    if basis not in ("weekly", "daily") or form not in ("relative", "points"):
        raise ValueError(f"unknown deviation basis/form {basis!r}/{form!r}")
    return "deviation_26w" + ("_daily" if basis == "daily" else "") + ("_points" if form == "points" else "")


def _none(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def read_week(
    warehouse: Path,
    week_ending: date,
    basis: str = "weekly",
    form: str = "relative",
    universe: Universe | None = None,
) -> WeekFigures:
    """The week's figures of the universe's comment pair and indices (default: the shipped universe).

    The pair's own deviation setting in the universe file, if any, wins over `basis` and `form`."""
    universe = universe or read()
    pair = universe.comment
    basis, form = pair.deviation_basis or basis, pair.deviation_form or form
    with duckdb.connect(str(warehouse), read_only=True) as con:
        weekly = con.sql(
            "select index_code, week_ending, close, prev_close, change, return_1w from marts.weekly_close "
            "where week_ending <= $w order by week_ending",
            params={"w": week_ending},
        ).df()
        rs = con.sql(
            "select * from marts.relative_strength where week_ending = $w and pair = $p",
            params={"w": week_ending, "p": pair.name},
        ).df()
    this_week = weekly[weekly["week_ending"].dt.date == week_ending].set_index("index_code")
    needed = {pair.numerator, pair.denominator, *universe.large_caps}
    complete = set(this_week.index[this_week["prev_close"].notna()])
    missing = needed - complete
    if missing or rs.empty:
        raise SmallcapError(
            f"the warehouse has no complete week ending {week_ending} with the week before it"
            + (f" for {', '.join(sorted(missing))}" if missing else "")
        )

    def index_week(code: str) -> IndexWeek:
        spec = universe.index(code)
        values = (float(this_week.loc[code, c]) for c in ("close", "prev_close", "change", "return_1w"))
        return IndexWeek(code, *values, name_en=spec.name_en, name_ja=spec.name_ja)

    large = tuple(index_week(c) for c in universe.large_caps)
    small = this_week.loc[pair.numerator]
    earlier = weekly[(weekly["index_code"] == pair.numerator) & (weekly["week_ending"].dt.date < week_ending)]
    last_change = _none(earlier["change"].iloc[-1]) if not earlier.empty else None
    row = rs.iloc[0]
    return WeekFigures(
        week_ending=week_ending,
        close=float(small["close"]),
        prev_close=float(small["prev_close"]),
        change=float(small["change"]),
        return_1w=float(small["return_1w"]),
        last_week_change=last_change,
        dow_return_1w=large[0].return_1w,
        spx_return_1w=large[-1].return_1w,
        numerator_close=float(row["numerator_close"]),
        denominator_close=float(row["denominator_close"]),
        ratio=float(row["ratio"]),
        ma_26w=_none(row["ma_26w"]),
        deviation_26w=_none(row["deviation_26w"]),
        deviation_26w_points=_none(row["deviation_26w_points"]),
        ma_26w_daily=_none(row["ma_26w_daily"]),
        deviation_26w_daily=_none(row["deviation_26w_daily"]),
        deviation_26w_daily_points=_none(row["deviation_26w_daily_points"]),
        deviation_basis=basis,
        deviation_form=form,
        # An index without this week's close and the one before (its history not begun) is left out.
        indices=tuple(index_week(code) for code in universe.codes if code in complete),
        pair=pair.name,
        window_weeks=pair.window_weeks,
        large_caps=large,
        others=tuple(index_week(code) for code in universe.others if code in complete),
    )


def read_ratio_history(
    warehouse: Path, week_ending: date, start: date | None = None, basis: str = "weekly", pair: str = "R2000G/SPX"
) -> pd.DataFrame:
    """The pair's weekly ratio and its moving average (as column ma_26w, of the weekly or the daily ratios, as
    the draft's deviation) from `start` (all the marts hold when None) to `week_ending`."""
    ma = {"weekly": "ma_26w", "daily": "ma_26w_daily as ma_26w"}[basis]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(
            f"select week_ending, ratio, {ma} from marts.relative_strength"
            " where week_ending <= $w and week_ending >= coalesce($s, week_ending) and pair = $p order by week_ending",
            params={"w": week_ending, "s": start, "p": pair},
        ).df()
