"""R2000G's plausibility against a fund that tracks it (IWO): the days its daily move strays.

FRED has no Russell series, so a wrong but plausible R2000G close would pass every other check.
A tracking fund moves with the index day by day, except on its dividend (ex-)days, when its price
drops by the payout: those days are set aside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from smallcap.quality.results import WARNING, Finding


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


def index_closes(batch: pd.DataFrame, index_code: str) -> pd.Series:
    """One index's closes from a batch (index_code, trade_date, close), indexed by trade date."""
    rows = batch[batch["index_code"] == index_code]
    return pd.Series(rows["close"].to_numpy(dtype=float), index=pd.to_datetime(rows["trade_date"]), name=index_code)


def tracking_finding(found: list[Stray], index_code: str, fund: str, band_pp: float, sample: int = 20) -> Finding:
    """The comparison as one of the gate's findings: a warning naming each stray day (the batch passes)."""
    return Finding(
        expectation=f"{index_code} daily move within {band_pp:g} pp of {fund}'s (dividend days aside)",
        suite="tracking",
        success=not found,
        unexpected_count=len(found),
        sample=[
            {
                "index_code": index_code,
                "trade_date": f"{s.trade_date:%Y-%m-%d}",
                "index_move_pct": round(s.index_move, 2),
                f"{fund}_move_pct": round(s.fund_move, 2),
            }
            for s in found[:sample]
        ],
        severity=WARNING,
        kind="tracking_fund_moves",
    )
