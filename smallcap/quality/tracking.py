"""R2000G's plausibility against a fund that tracks it (IWO): the days its daily move strays.

FRED has no Russell series, so a wrong but plausible R2000G close would pass every other check.
A tracking fund moves with the index day by day, except on its dividend (ex-)days, when its price
drops by the payout: those days are set aside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd


@dataclass(frozen=True)
class Stray:
    trade_date: date
    index_move: float  # percent
    fund_move: float  # percent

    @property
    def gap(self) -> float:
        """Percentage points between the two moves."""
        return self.index_move - self.fund_move

    def line(self, index_code: str, fund: str, band_pp: float) -> str:
        return (
            f"{index_code} {self.trade_date:%Y-%m-%d} moved {self.index_move:+.2f} % but {fund} {self.fund_move:+.2f} %"
            f" ({abs(self.gap):.2f} pp, band {band_pp:g} pp)"
        )


def strays(index: pd.Series, fund: pd.Series, dividend_days: set[date], band_pp: float) -> list[Stray]:
    """Days (both series indexed by trade date) whose daily % moves differ by more than band_pp.

    Moves are taken between consecutive days both series have; a dividend day is not compared.
    """
    both = pd.concat({"index": index, "fund": fund}, axis=1, join="inner").sort_index().dropna()
    moves = both.pct_change().dropna() * 100
    found = []
    for day, row in moves.iterrows():
        when = pd.Timestamp(day).date()
        if when in dividend_days:
            continue
        if abs(row["index"] - row["fund"]) > band_pp:
            found.append(Stray(when, float(row["index"]), float(row["fund"])))
    return found
