"""The production setup as the README's operations section gives it, for real: a Prefect server on
PostgreSQL (a throwaway cluster in a temporary folder), the work pool, `prefect deploy --all` of
prefect.yaml, a process worker, and a run of the deployment on the bundled sample that ends
Completed, its artifacts read back from that server.

The server and the worker are started with the commands of the systemd units in deploy/systemd/
and the settings their example environment files name (with this test's values).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from tests import independent
from tests.conftest import SAMPLE, read_closes
from tests.helpers import UNITS, unit_entries
from tests.postgres import MISSING, Postgres, bin_dir, free_port, temporary_postgres

pytestmark = [pytest.mark.production, pytest.mark.flow]

ROOT = Path(__file__).parents[1]
BIN = Path(sys.executable).parent  # this venv's prefect, as the units run /opt/…/.venv/bin/prefect
NAME = "weekly-report/friday-close"
WEEK = "2026-02-13"  # the bundled sample's last complete week, the seed comment's


def exec_start(unit: str, instance: str = "1") -> list[str]:
    """The unit's ExecStart as a command for this machine: its prefect is this venv's."""
    (line,) = unit_entries(UNITS / unit)["ExecStart"]
    line = line.replace("%H", socket.gethostname()).replace("%i", instance)
    program, *args = shlex.split(line)
    assert Path(program).name == "prefect", line
    return [str(BIN / "prefect"), *args]


def example_env(name: str, **values: str) -> dict[str, str]:
    """The settings an example environment file names, with this test's values: every one, no other."""
    text = (UNITS / name).read_text(encoding="utf-8")
    keys = {line.split("=", 1)[0] for line in text.splitlines() if re.match(r"^[A-Z_]+=", line)}
    assert keys == set(values), f"{name} names {sorted(keys)}, the test gives {sorted(values)}"
    return values


def base_env(home: Path) -> dict[str, str]:
    """This process's environment without any Prefect or smallcap setting, and a Prefect home of its own."""
    strip = ("PREFECT_", "SMALLCAP_", "YF_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(strip)}
    home.mkdir(parents=True, exist_ok=True)
    return {**env, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def cli(env: dict[str, str], *args: str, cwd: Path = ROOT) -> str:
    out = subprocess.run(
        [str(BIN / "prefect"), "--no-prompt", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, f"prefect {' '.join(args)} exited {out.returncode}:\n{out.stdout}{out.stderr}"
    return out.stdout


Spawn = Callable[[str, list[str], dict[str, str]], subprocess.Popen]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Start long-running processes (output to <name>.log); each is stopped, its children too, afterwards."""
    started: list[subprocess.Popen] = []

    def start(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        with (tmp_path / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        started.append(process)
        return process

    yield start
    for process in reversed(started):  # the worker before the server it talks to
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)  # a worker takes several seconds to exit
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    if bin_dir() is None:
        pytest.skip(MISSING)
    with temporary_postgres("prefect", owner="prefect") as pg:
        yield pg


def _log(tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.log"
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def _wait_for_health(api: str, server: subprocess.Popen, tmp_path: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, f"prefect server exited {server.returncode}:\n{_log(tmp_path, 'server')}"
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"prefect server not healthy after {timeout} s:\n{_log(tmp_path, 'server')}")


def test_server_on_postgresql_worker_deploy_and_a_completed_run(
    postgres: Postgres, spawn: Spawn, tmp_path: Path
) -> None:
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from tests.helpers import run_artifacts

    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    server_env = example_env(
        "prefect-server.env.example",
        PREFECT_API_DATABASE_CONNECTION_URL=postgres.url,
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(port),
        PREFECT_UI_API_URL=api,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    server = spawn("server", exec_start("prefect-server.service"), {**base_env(tmp_path / "home-server"), **server_env})
    _wait_for_health(api, server, tmp_path)

    # What an operator types, against that server.
    operator = {**base_env(tmp_path / "home-operator"), "PREFECT_API_URL": api}
    cli(operator, "work-pool", "create", "smallcap-process", "--type", "process")
    cli({**operator, "SMALLCAP_HOME": str(ROOT)}, "deploy", "--all")

    worker_data = tmp_path / "worker-data"  # the worker's default data folder; this run names its own
    worker_env = example_env(
        "worker.env.example", PREFECT_API_URL=api, SMALLCAP_HOME=str(ROOT), SMALLCAP_DATA_DIR=str(worker_data)
    )
    # Poll every second rather than every 10 (test speed only); results and caches in this test's folder.
    tuning = {"PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_LOCAL_STORAGE_PATH": str(tmp_path / "results")}
    worker_cmd = exec_start("prefect-worker@.service")
    worker = spawn("worker", worker_cmd, {**base_env(tmp_path / "home-worker"), **worker_env, **tuning})

    data = tmp_path / "data"
    params = {"source": "sample", "check_source": "null", "wait_for_last_session": "false", "data_dir": str(data)}
    out = cli(operator, "deployment", "run", NAME, *[a for k, v in params.items() for a in ("--param", f"{k}={v}")])
    match = re.search(r"UUID: ([0-9a-f-]{36})", out)
    assert match, out
    run_id = match.group(1)

    with temporary_settings(updates={PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        deadline = time.monotonic() + 300
        while not (run := client.read_flow_run(run_id)).state.is_final():
            assert worker.poll() is None, f"worker exited {worker.returncode}:\n{_log(tmp_path, 'worker')}"
            assert time.monotonic() < deadline, f"run still {run.state.name} after 300 s:\n{_log(tmp_path, 'worker')}"
            time.sleep(1)
        deployment = client.read_deployment_by_name(NAME)
        workers = client.read_workers_for_work_pool("smallcap-process")
        artifacts = {a.key: a for a in run_artifacts(run_id)}

    assert run.state.is_completed(), f"{run.state.name}: {run.state.message}\n{_log(tmp_path, 'worker')}"
    # prefect.yaml as deployed: on the pool, run in the clone named at deploy time, the bundled sample by override.
    assert deployment.work_pool_name == "smallcap-process"
    assert deployment.pull_steps == [{"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}]
    assert run.deployment_id == deployment.id
    assert run.parameters == {
        "source": "sample",
        "check_source": None,
        "wait_for_last_session": False,
        "data_dir": str(data),
    }
    assert worker_cmd[-1] in {w.name for w in workers}  # the unit's --name %H-%i
    assert run.name == f"weekly-{WEEK}-{run_id[:8]}"
    assert {"smallcap", "weekly", f"week:{WEEK}", "source:sample"} <= set(run.tags)

    # Its artifacts, read back from the server on PostgreSQL, say what an independent calculation says.
    assert {"weekly-comment-ja", "weekly-comment-en", "weekly-figures", "weekly-links", "quality-gate"} <= set(
        artifacts
    )
    weekly = independent.weekly_close(read_closes(SAMPLE)).set_index(["index_code", "week_ending"])
    r2000g = weekly.loc[("R2000G", date(2026, 2, 13)), "close"]
    assert f"{r2000g:.2f}で終わりました" in artifacts["weekly-comment-ja"].data
    assert "February 13, 2026" in artifacts["weekly-comment-en"].data
    assert f"{r2000g:.2f}" in artifacts["weekly-figures"].data

    # The worker wrote where the run said, on its machine; the server's records are in PostgreSQL.
    assert (data / "reports" / WEEK / "report.html").is_file()
    assert (data / "warehouse.duckdb").is_file()
    assert not worker_data.exists()
    assert postgres.sql(f"select state_type from flow_run where id = '{run_id}'") == "COMPLETED"
    assert int(postgres.sql(f"select count(*) from artifact where flow_run_id = '{run_id}'")) == len(artifacts)
