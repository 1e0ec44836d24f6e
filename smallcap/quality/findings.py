"""Reading GX's validation results: one Finding per expectation, with sample rows a person can act on."""

from __future__ import annotations

from typing import Any

from smallcap.quality.results import ERROR, WARNING, Finding


def finding(r: Any, suite_name: str, id_cols: list[str], severities: Any, sample_rows: int = 20) -> Finding:
    """A GX ExpectationValidationResult as a Finding with at most `sample_rows` rows; `severities` is
    GX's FailureSeverity enum."""
    cfg = r.expectation_config
    name = cfg.meta.get("name", cfg.type)
    severity = WARNING if cfg.severity == severities.WARNING else ERROR
    if r.success:
        return Finding(
            expectation=name, suite=suite_name, success=True, unexpected_count=0, severity=severity, kind=cfg.type
        )
    res = r.result or {}
    sample = [_clean(row, id_cols) for row in (res.get("partial_unexpected_index_list") or [])[:sample_rows]]
    error = _exception_message(r.exception_info or {})
    if error:
        # A check that could not even run (e.g. its column is missing) is a failure too.
        sample = [{"error": error}]
    return Finding(
        expectation=name,
        suite=suite_name,
        success=False,
        unexpected_count=int(res.get("unexpected_count") or 0),
        sample=sample or _observed(res),
        severity=severity,
        kind=cfg.type,
    )


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
