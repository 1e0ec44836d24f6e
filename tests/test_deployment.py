"""The Friday deployment read back from a Prefect server: as `prefect deploy` makes it from prefect.yaml,
as `smallcap serve` builds it, and served for real."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from flows.deployment import served_deployment
from tests.helpers import prefect_server_env
from tests.webhook import webhook_receiver

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_server")]

ROOT = Path(__file__).parents[1]
# Read with plain YAML here, not through flows.deployment, so the code under test is not its own oracle.
DEPLOYMENTS = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
SPEC = next(d for d in DEPLOYMENTS if d["name"] == "friday-close")
NAME = "weekly-report/friday-close"


def _read(client):  # noqa: ANN001, ANN202
    return client.read_deployment_by_name(NAME)


def _summary(d) -> dict:  # noqa: ANN001
    return {
        "name": d.name,
        "schedules": [(s.schedule.cron, s.schedule.timezone, s.active) for s in d.schedules],
        "parameters": d.parameters,
        "tags": sorted(d.tags),
        "description": d.description,
        "concurrency_limit": d.global_concurrency_limit.limit,
        "collision_strategy": d.concurrency_options.collision_strategy.value,
    }


# What the issue asks for; parameters are whatever prefect.yaml declares (the source may change there).
EXPECTED = {
    "name": "friday-close",
    "schedules": [("0 18 * * 5", "America/New_York", True)],
    "parameters": SPEC["parameters"],
    "tags": sorted(SPEC["tags"]),
    "description": SPEC["description"],
    "concurrency_limit": 1,
    "collision_strategy": "ENQUEUE",  # a second run waits for the first, never interleaves
}


def test_prefect_deploy_and_smallcap_serve_register_the_same_deployment() -> None:
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        if not any(p.name == "smallcap-process" for p in client.read_work_pools()):
            client.create_work_pool(
                WorkPoolCreate(
                    name="smallcap-process",
                    type="process",
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                )
            )
    # prefect.yaml exactly as an operator deploys it.
    out = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--name", "friday-close"],
        cwd=ROOT,
        env=prefect_server_env(SMALLCAP_HOME=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    with get_client(sync_client=True) as client:
        deployed = _read(client)
        client.delete_deployment(deployed.id)
    assert _summary(deployed) == EXPECTED
    assert deployed.work_pool_name == "smallcap-process"
    assert deployed.entrypoint == "flows/weekly_report.py:weekly_report"

    # The same deployment built in Python for `smallcap serve`: no work pool, nothing else different.
    served_deployment().apply()
    with get_client(sync_client=True) as client:
        served = _read(client)
    assert _summary(served) == EXPECTED
    assert served.work_pool_name is None


def test_friday_schedule_follows_new_york_daylight_saving() -> None:
    from prefect import get_client
    from prefect.server.schemas.schedules import CronSchedule

    served_deployment().apply()
    with get_client(sync_client=True) as client:
        (schedule,) = _read(client).schedules
    # The server's own schedule arithmetic, on the schedule as read back.
    server_schedule = CronSchedule(cron=schedule.schedule.cron, timezone=schedule.schedule.timezone)
    dates = asyncio.run(server_schedule.get_dates(n=3, start=datetime(2026, 3, 1, tzinfo=UTC)))
    # US clocks go forward on Sunday 2026-03-08: 18:00 in New York is 23:00 UTC before, 22:00 after.
    assert [d.astimezone(UTC).replace(tzinfo=None) for d in dates] == [
        datetime(2026, 3, 6, 23, 0),
        datetime(2026, 3, 13, 22, 0),
        datetime(2026, 3, 20, 22, 0),
    ]


def test_a_second_run_waits_for_the_first() -> None:
    """The server enforces the limit: while one run holds the slot, another cannot start."""
    from prefect import get_client
    from prefect.client.schemas.responses import SetStateStatus
    from prefect.states import Completed, Pending, Running

    deployment_id = served_deployment().apply()
    with get_client(sync_client=True) as client:
        first = client.create_flow_run_from_deployment(deployment_id)
        second = client.create_flow_run_from_deployment(deployment_id)
        assert client.set_flow_run_state(first.id, Pending()).status == SetStateStatus.ACCEPT
        assert client.set_flow_run_state(first.id, Running()).status == SetStateStatus.ACCEPT
        refused = client.set_flow_run_state(second.id, Pending())
        assert refused.status == SetStateStatus.REJECT
        assert client.read_flow_run(second.id).state.name == "AwaitingConcurrencySlot"  # queued, not dropped
        assert client.set_flow_run_state(first.id, Completed()).status == SetStateStatus.ACCEPT
        assert client.set_flow_run_state(second.id, Pending()).status == SetStateStatus.ACCEPT
        client.set_flow_run_state(second.id, Completed(), force=True)


def _wait(predicate, timeout: float, what: str):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if found := predicate():
                return found
        except Exception:  # noqa: BLE001 (not there yet)
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_smallcap_serve_runs_the_deployment_and_a_failed_run_alerts(tmp_path: Path) -> None:
    """`smallcap serve` in its own process: registers the deployment without a pool, executes a run of it."""
    from prefect import get_client
    from prefect.deployments import run_deployment

    with get_client(sync_client=True) as client:
        for d in client.read_deployments():
            if d.name == "friday-close":
                client.delete_deployment(d.id)
    with webhook_receiver() as hook:
        serving = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--data-dir", str(tmp_path / "d")],
            cwd=tmp_path,
            env=prefect_server_env(PREFECT_RUNNER_POLL_FREQUENCY="1", SMALLCAP_ALERT_WEBHOOK_URL=hook.url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            with get_client(sync_client=True) as client:
                deployment = _wait(lambda: _read(client), 120, "smallcap serve to register the deployment")
                assert deployment.work_pool_name is None
                assert deployment.parameters == {**SPEC["parameters"], "data_dir": str(tmp_path / "d")}
                # A run that fails fast (no such file) proves the served process executes runs and alerts.
                missing = tmp_path / "missing.csv"
                run = run_deployment(
                    NAME, parameters={"source": "csv", "csv_path": str(missing), "week_ending": "2025-11-21"}, timeout=0
                )
                done = _wait(
                    lambda: (r := client.read_flow_run(run.id)).state.is_final() and r, 120, "the served run to end"
                )
                # The hook posts after the run is final: the served process must live until it has.
                posts = hook.wait_for(1, 60)
        finally:
            os.killpg(serving.pid, signal.SIGTERM)
            try:
                serving.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(serving.pid, signal.SIGKILL)
                serving.wait()
        assert done.state.is_failed()
        assert done.name == f"weekly-2025-11-21-{str(run.id)[:8]}"
        assert f"CSV file not found: {missing}" in done.state.message
        assert {"smallcap", "weekly", "week:2025-11-21", "source:csv"} <= set(done.tags)
        (post,) = posts
    assert post["json"]["text"].startswith(f"smallcap: {done.name} Failed (week ending 2025-11-21): ")
    assert f"CSV file not found: {missing}" in post["json"]["text"]
