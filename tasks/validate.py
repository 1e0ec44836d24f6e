from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from smallcap.lake.published import daily_closes
from smallcap.quality import gate, quarantine
from smallcap.quality.gate import DocsSite, GateConfig, GateReport


@task(name="read published closes (warehouse, read-only)", cache_policy=NO_CACHE)
def published_closes(warehouse_path: Path) -> pd.DataFrame | None:
    return daily_closes(warehouse_path)


@task(name="validate batch (Great Expectations)", cache_policy=NO_CACHE)
def validate_batch(
    batch: pd.DataFrame,
    week_ending: date,
    today: date,
    published: pd.DataFrame | None = None,
    config: GateConfig | None = None,
    docs: DocsSite | None = None,
) -> GateReport:
    return gate.validate(batch, week_ending=week_ending, today=today, published=published, config=config, docs=docs)


@task(name="quarantine rejected batch", cache_policy=NO_CACHE)
def quarantine_batch(
    batch: pd.DataFrame | None, report: GateReport, quarantine_dir: Path, run_name: str, origin: Path | None
) -> Path:
    return quarantine.keep(batch, report.to_dict(), report.reason(), quarantine_dir, run_name, origin)


@task(name="publish gate summary to Prefect UI", cache_policy=NO_CACHE)
def publish_gate_summary(report: GateReport, batch_id: str) -> None:
    rows = [
        {
            "expectation": c.expectation,
            "suite": c.suite,
            "severity": c.severity,
            "success": c.success,
            "status": "passed" if c.success else ("failed" if c.severity == gate.ERROR else "warned"),
            "unexpected_count": c.unexpected_count,
        }
        for c in report.checks
    ]
    verdict = "passed" if report.success else "rejected"
    docs = f"; Data Docs {report.docs_index}" if report.docs_index else ""
    create_table_artifact(
        key="quality-gate",
        table=rows,
        description=f"Quality gate {verdict} batch {batch_id}: {report.summary()}{docs}",
    )
