"""The gate's verdict: one Finding per evaluated expectation, gathered in a GateReport."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

ERROR = "error"
WARNING = "warning"
_STATUS_ORDER = {"failed": 0, "warned": 1, "passed": 2}


@dataclass(frozen=True)
class Finding:
    expectation: str  # the human name of the check, e.g. "close > 0"
    suite: str
    success: bool
    unexpected_count: int
    sample: list[dict[str, Any]] = field(default_factory=list)
    severity: str = ERROR  # errors stop the run; warnings are reported
    kind: str = ""  # the GX expectation type, e.g. expect_column_values_to_be_between

    def line(self) -> str:
        rows = "; ".join(format_row(r) for r in self.sample[:3])
        if self.unexpected_count:
            return f"{self.expectation}: {self.unexpected_count} row(s) fail" + (f", e.g. {rows}" if rows else "")
        return f"{self.expectation}: failed" + (f" ({rows})" if rows else "")

    @property
    def status(self) -> str:
        return "passed" if self.success else ("failed" if self.severity == ERROR else "warned")


@dataclass(frozen=True)
class GateReport:
    checks: list[Finding]
    # Every revised close found (not only a sample): recorded as meta.revisions.
    revisions: list[dict[str, Any]] = field(default_factory=list)
    # Data Docs: suite -> the HTML page of this validation, and the site's index page.
    docs: dict[str, str] = field(default_factory=dict)
    docs_index: str | None = None

    @property
    def failures(self) -> list[Finding]:
        return [c for c in self.checks if not c.success and c.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [c for c in self.checks if not c.success and c.severity != ERROR]

    @property
    def success(self) -> bool:
        return not self.failures

    @property
    def evaluated(self) -> int:
        return len(self.checks)

    def reason(self) -> str:
        """One line naming every failed expectation with sample rows."""
        return (
            f"batch rejected by the quality gate ({len(self.failures)} of {self.evaluated} checks failed): "
            + " | ".join(f.line() for f in self.failures)
        )

    def summary(self) -> str:
        passed = sum(c.success for c in self.checks)
        return f"{passed} passed, {len(self.failures)} failed, {len(self.warnings)} warned of {self.evaluated} checks"

    def table(self) -> list[dict[str, Any]]:
        """One row per check, failed first, then warned, each in the suites' order. The short result
        columns lead, so a narrow table (the Prefect UI's) never cuts them off."""
        rows = [
            {
                "status": c.status,
                "bad rows": c.unexpected_count,
                "severity": c.severity,
                "suite": c.suite,
                "expectation": c.expectation,
                "e.g.": format_row(c.sample[0]) if c.sample and not c.success else "",
            }
            for c in self.checks
        ]
        return sorted(rows, key=lambda r: _STATUS_ORDER[r["status"]])

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "evaluated": self.evaluated,
            "summary": self.summary(),
            "checks": [{**asdict(c), "sample": plain_sample(c.sample)} for c in self.checks],
            "revisions": self.revisions,
            "docs": self.docs,
            "docs_index": self.docs_index,
        }


def plain_sample(sample: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sample rows with dates as ISO strings, as they read in the one-line reason."""
    return json.loads(json.dumps(sample, default=format_value, ensure_ascii=False))


def format_row(row: dict[str, Any]) -> str:
    return " ".join(f"{k}={format_value(v)}" for k, v in row.items())


def format_value(v: Any) -> str:
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat() if not pd.isna(v) else "NaT"
    return str(v)
