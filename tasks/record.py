from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from smallcap.lake import records
from smallcap.quality.gate import GateReport, result_rows


@task(name="record validation results", cache_policy=NO_CACHE)
def record_validation(report: GateReport, lake_dir: Path, flow_run_id: str, run_name: str, batch_id: str) -> Path:
    now = datetime.now(UTC)
    rows = [
        {"flow_run_id": flow_run_id, "run_name": run_name, "batch_id": batch_id, "validated_at": now, **row}
        for row in result_rows(report)
    ]
    return records.write(lake_dir, "validation_results", rows, record_id=f"{flow_run_id}-{batch_id}")


@task(name="record revised closes", cache_policy=NO_CACHE)
def record_revisions(report: GateReport, lake_dir: Path, flow_run_id: str, run_name: str, batch_id: str) -> Path | None:
    """Every published close the batch changes, and whether the run accepted the change."""
    if not report.revisions:
        return None
    now = datetime.now(UTC)
    rows = [
        {
            "flow_run_id": flow_run_id,
            "run_name": run_name,
            "batch_id": batch_id,
            **revision,
            "accepted": report.success,
            "found_at": now,
        }
        for revision in report.revisions
    ]
    return records.write(lake_dir, "revisions", rows, record_id=f"{flow_run_id}-{batch_id}")


@task(name="record pipeline run", cache_policy=NO_CACHE)
def record_run(
    lake_dir: Path,
    *,
    flow_run_id: str,
    run_name: str,
    week_ending: date,
    source: str,
    batch_id: str | None,
    rows: int,
    gate_status: str,
    started_at: datetime,
    outputs: dict[str, str] | str,
) -> Path:
    finished = datetime.now(UTC)
    row = {
        "flow_run_id": flow_run_id,
        "run_name": run_name,
        "week_ending": week_ending,
        "source": source,
        "batch_id": batch_id,
        "rows": rows,
        "gate_status": gate_status,
        "started_at": started_at,
        "finished_at": finished,
        "duration_s": (finished - started_at).total_seconds(),
        "outputs": outputs if isinstance(outputs, str) else json.dumps(outputs),
    }
    return records.write(lake_dir, "pipeline_runs", [row], record_id=flow_run_id)
