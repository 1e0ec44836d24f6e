"""The quality gate: Great Expectations suites over an extracted batch, reduced to one verdict.

Two batches are validated: the rows themselves, and a one-row-per-index summary (first and last
date, row count), because "every index ends on the same day" is a statement about groups.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from smallcap.batch import COLUMNS
from smallcap.indices import INDEX_CODES


@dataclass(frozen=True)
class Finding:
    expectation: str  # the human name of the check, e.g. "close > 0"
    suite: str
    success: bool
    unexpected_count: int
    sample: list[dict[str, Any]] = field(default_factory=list)
    severity: str = "error"  # errors stop the run

    def line(self) -> str:
        rows = "; ".join(_fmt_row(r) for r in self.sample[:3])
        if self.unexpected_count:
            return f"{self.expectation}: {self.unexpected_count} row(s) fail" + (f", e.g. {rows}" if rows else "")
        return f"{self.expectation}: failed" + (f" ({rows})" if rows else "")


@dataclass(frozen=True)
class GateReport:
    checks: list[Finding]

    @property
    def failures(self) -> list[Finding]:
        return [c for c in self.checks if not c.success and c.severity == "error"]

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "evaluated": self.evaluated,
            "checks": [asdict(c) for c in self.checks],
        }


def _fmt_row(row: dict[str, Any]) -> str:
    return " ".join(f"{k}={_fmt_value(v)}" for k, v in row.items())


def _fmt_value(v: Any) -> str:
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat() if not pd.isna(v) else "NaT"
    return str(v)


def summarize(batch: pd.DataFrame) -> pd.DataFrame:
    """One row per index present: first and last date and row count."""
    if not {"index_code", "trade_date"} <= set(batch.columns) or batch.empty:
        return pd.DataFrame(
            {
                "index_code": pd.Series(dtype="str"),
                "first_date": pd.Series(dtype="datetime64[us]"),
                "last_date": pd.Series(dtype="datetime64[us]"),
                "rows": pd.Series(dtype="int64"),
            }
        )
    grouped = batch.dropna(subset=["trade_date"]).groupby("index_code", as_index=False)
    return grouped.agg(first_date=("trade_date", "min"), last_date=("trade_date", "max"), rows=("trade_date", "size"))


def _row_expectations(today: date) -> list[tuple[str, Any]]:
    import great_expectations.expectations as gxe

    return [
        (
            "columns are exactly " + ",".join(COLUMNS),
            gxe.ExpectTableColumnsToMatchSet(column_set=list(COLUMNS), exact_match=True),
        ),
        ("batch has rows", gxe.ExpectTableRowCountToBeBetween(min_value=1)),
        ("index_code is not null", gxe.ExpectColumnValuesToNotBeNull(column="index_code")),
        ("trade_date is an ISO date", gxe.ExpectColumnValuesToNotBeNull(column="trade_date")),
        ("close is a number", gxe.ExpectColumnValuesToNotBeNull(column="close")),
        ("close > 0", gxe.ExpectColumnValuesToBeBetween(column="close", min_value=0, strict_min=True)),
        (
            "one row per (index_code, trade_date)",
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["index_code", "trade_date"]),
        ),
        (
            "index_code is one of " + ",".join(INDEX_CODES),
            gxe.ExpectColumnValuesToBeInSet(column="index_code", value_set=list(INDEX_CODES)),
        ),
        (
            f"trade_date not in the future (after {today})",
            gxe.ExpectColumnValuesToBeBetween(column="trade_date", max_value=pd.Timestamp(today)),
        ),
    ]


def _summary_expectations(week_ending: date, required: Sequence[str]) -> list[tuple[str, Any]]:
    import great_expectations.expectations as gxe

    return [
        (
            "all of " + ",".join(required) + " present",
            gxe.ExpectColumnDistinctValuesToContainSet(column="index_code", value_set=list(required)),
        ),
        (
            "every index ends on the same date",
            gxe.ExpectColumnUniqueValueCountToBeBetween(column="last_date", min_value=1, max_value=1),
        ),
        (
            f"every index ends on the week's last session {week_ending}",
            gxe.ExpectColumnValuesToBeBetween(
                column="last_date", min_value=pd.Timestamp(week_ending), max_value=pd.Timestamp(week_ending)
            ),
        ),
    ]


# Columns that identify a row in a failure sample, per suite.
_ID_COLUMNS = {
    "daily_close": ["index_code", "trade_date", "close"],
    "index_summary": ["index_code", "first_date", "last_date"],
}


def validate(batch: pd.DataFrame, week_ending: date, today: date, required: Sequence[str] = INDEX_CODES) -> GateReport:
    """Run the GX suites on a batch; pure apart from GX's in-memory context.

    `required`: the indices that must be present (all three for a weekly run; a backfill chunk from
    before an index's history begins in the source requires only the others).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GX import-time deprecation chatter
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("batch")

    findings: list[Finding] = []
    for suite_name, frame, expectations in (
        ("daily_close", batch, _row_expectations(today)),
        ("index_summary", summarize(batch), _summary_expectations(week_ending, required)),
    ):
        asset = source.add_dataframe_asset(suite_name)
        batch_def = asset.add_batch_definition_whole_dataframe(suite_name)
        suite = gx.ExpectationSuite(name=suite_name)
        for name, expectation in expectations:
            expectation.meta = {"name": name}
            suite.add_expectation(expectation)
        suite = context.suites.add(suite)
        id_cols = [c for c in _ID_COLUMNS[suite_name] if c in frame.columns]
        result = context.validation_definitions.add(
            gx.ValidationDefinition(name=suite_name, data=batch_def, suite=suite)
        ).run(
            batch_parameters={"dataframe": frame},
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": id_cols},
        )
        for r in result.results:
            name = r.expectation_config.meta.get("name", r.expectation_config.type)
            if r.success:
                findings.append(Finding(expectation=name, suite=suite_name, success=True, unexpected_count=0))
                continue
            res = r.result or {}
            sample = [_clean(row, id_cols) for row in (res.get("unexpected_index_list") or [])[:3]]
            error = _exception_message(r.exception_info or {})
            if error:
                # A check that could not even run (e.g. its column is missing) is a failure too.
                sample = [{"error": error}]
            findings.append(
                Finding(
                    expectation=name,
                    suite=suite_name,
                    success=False,
                    unexpected_count=int(res.get("unexpected_count") or 0),
                    sample=sample or _observed(res),
                )
            )
    return GateReport(checks=findings)


def _exception_message(info: dict[str, Any]) -> str | None:
    # GX reports exceptions either flat or keyed by the metric that raised them.
    candidates = [info, *[v for v in info.values() if isinstance(v, dict)]]
    for c in candidates:
        if c.get("raised_exception"):
            return str(c.get("exception_message") or "could not be evaluated").removeprefix("Error: ")
    return None


def _clean(row: Any, id_cols: list[str]) -> dict[str, Any]:
    if isinstance(row, dict):
        return {k: row[k] for k in id_cols if k in row}
    return {"row": row}


def _observed(res: dict[str, Any]) -> list[dict[str, Any]]:
    details = res.get("details") or {}
    mismatched = details.get("mismatched")
    if mismatched:
        return [{"columns": mismatched}]
    if res.get("partial_missing_list"):
        return [{"missing": res["partial_missing_list"]}]
    if res.get("observed_value") is not None:
        return [{"observed": res["observed_value"]}]
    return []


def result_rows(report: GateReport) -> list[dict[str, Any]]:
    """One row per evaluated expectation, for the meta.validation_results record."""
    return [
        {
            "suite": c.suite,
            "expectation": c.expectation,
            "severity": c.severity,
            "success": c.success,
            "unexpected_count": c.unexpected_count,
            "sample": json.dumps(c.sample, default=_fmt_value, ensure_ascii=False),
        }
        for c in report.checks
    ]
