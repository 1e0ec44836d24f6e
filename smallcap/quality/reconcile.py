"""Reconciliation: the primary source's closes against a cross-check source on their common days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Mismatch:
    index_code: str
    trade_date: date
    primary: float
    check: float

    @property
    def difference(self) -> float:
        """Relative difference against the cross-check's close."""
        return self.primary / self.check - 1

    def line(self, primary: str, check: str) -> str:
        return (
            f"{self.index_code} {self.trade_date:%Y-%m-%d} {primary} {self.primary:.2f} vs {check} {self.check:.2f}"
            f" ({self.difference * 100:+.3f} %)"
        )


@dataclass(frozen=True)
class Reconciliation:
    primary: str
    check: str
    tolerance: float
    compared: int
    indices: tuple[str, ...]
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.compared > 0 and not self.mismatches

    def reason(self, shown: int = 5) -> str:
        """One line naming the days and both values."""
        if self.compared == 0:
            return (
                f"reconciliation failed: {self.primary} and cross-check {self.check} have no common day "
                f"for {', '.join(self.indices) or 'any index'}"
            )
        lines = "; ".join(m.line(self.primary, self.check) for m in self.mismatches[:shown])
        more = f"; … {len(self.mismatches) - shown} more" if len(self.mismatches) > shown else ""
        return (
            f"reconciliation failed: {self.primary} and cross-check {self.check} differ by more than "
            f"{self.tolerance * 100:g} % on {len(self.mismatches)} of {self.compared} common closes: {lines}{more}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "primary": self.primary,
            "check": self.check,
            "tolerance": self.tolerance,
            "compared": self.compared,
            "indices": list(self.indices),
            "mismatches": [
                {
                    "index_code": m.index_code,
                    "trade_date": m.trade_date.isoformat(),
                    self.primary: m.primary,
                    self.check: m.check,
                    "difference": m.difference,
                }
                for m in self.mismatches
            ],
        }


def reconcile(primary: pd.DataFrame, check: pd.DataFrame, tolerance: float) -> Reconciliation:
    """Compare closes on every (index_code, trade_date) both batches have.

    A pair disagrees when |primary − check| > tolerance × |check|. No common day at all is a
    failure too: a cross-check that compared nothing has checked nothing.
    """
    key = ["index_code", "trade_date"]
    both = primary[key + ["close"]].merge(check[key + ["close"]], on=key, suffixes=("_primary", "_check"))
    both = both.dropna(subset=["close_primary", "close_check"]).sort_values(key, kind="stable")
    off = both[(both["close_primary"] - both["close_check"]).abs() > tolerance * both["close_check"].abs()]
    return Reconciliation(
        primary=str(primary["source"].iloc[0]) if len(primary) else "primary",
        check=str(check["source"].iloc[0]) if len(check) else "check",
        tolerance=tolerance,
        compared=len(both),
        indices=tuple(sorted(set(check["index_code"]) & set(primary["index_code"]))),
        mismatches=[
            Mismatch(r.index_code, pd.Timestamp(r.trade_date).date(), float(r.close_primary), float(r.close_check))
            for r in off.itertuples(index=False)
        ],
    )
