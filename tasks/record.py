"""Run records: rows of what each run did, written now (a failed run) or staged with its release."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from smallcap.lake import records
from smallcap.publish import Release
from smallcap.quality.gate import GateReport, result_rows

Rows = dict[str, list[dict[str, Any]]]


@task(name="record validation results", cache_policy=NO_CACHE)
def record_validation(report: GateReport, flow_run_id: str, run_name: str, batch_id: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {"flow_run_id": flow_run_id, "run_name": run_name, "batch_id": batch_id, "validated_at": now, **row}
        for row in result_rows(report)
    ]


@task(name="record revised closes", cache_policy=NO_CACHE)
def record_revisions(report: GateReport, flow_run_id: str, run_name: str, batch_id: str) -> list[dict[str, Any]]:
    """Every committed close the batch changes, and whether the run accepted the change."""
    now = datetime.now(UTC)
    return [
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


@task(name="record pipeline run", cache_policy=NO_CACHE)
def record_run(
    *,
    flow_run_id: str,
    run_name: str,
    week_ending: date | None,
    source: str,
    batch_id: str | None,
    rows: int,
    gate_status: str,
    started_at: datetime,
    outputs: dict[str, str] | str,
) -> dict[str, Any]:
    finished = datetime.now(UTC)
    return {
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


@task(name="write run records", cache_policy=NO_CACHE)
def write_records(lake_dir: Path, pending: Mapping[str, list[dict[str, Any]]], record_id: str) -> list[Path]:
    """A failed run's records, written at once: nothing of it is published, but what it did is kept."""
    return [records.write(lake_dir, table, rows, record_id) for table, rows in pending.items() if rows]


def stage_records(
    release: Release, lake_dir: Path, pending: Mapping[str, list[dict[str, Any]]], record_id: str
) -> list[Path]:
    """A run's records, published with its release (the marts never appear without them)."""
    return [
        records.write_file(release.staged(records.record_path(lake_dir, table, record_id)), table, rows)
        for table, rows in pending.items()
        if rows
    ]
