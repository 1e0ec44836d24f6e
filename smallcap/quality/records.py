"""The gate's results as record rows: meta.validation_results and meta.revisions."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from smallcap.quality.results import GateReport, format_value


def result_rows(report: GateReport) -> list[dict[str, Any]]:
    """One row per evaluated expectation, for the meta.validation_results record."""
    return [
        {
            "suite": c.suite,
            "expectation": c.expectation,
            "severity": c.severity,
            "success": c.success,
            "unexpected_count": c.unexpected_count,
            "sample": json.dumps(c.sample, default=format_value, ensure_ascii=False),
        }
        for c in report.checks
    ]


def revision_rows(revised: pd.DataFrame, tolerance: float) -> list[dict[str, Any]]:
    """Every close in `revised` (frames.revisions) that changed beyond the tolerance, for meta.revisions."""
    changed = revised[revised["change"].abs() > tolerance]
    return [
        {
            "index_code": r.index_code,
            "trade_date": r.trade_date.date(),
            "published_close": float(r.published_close),
            "close": float(r.close),
            "change": float(r.change),
        }
        for r in changed.itertuples()
    ]
