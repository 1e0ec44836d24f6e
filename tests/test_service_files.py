"""The example systemd units in deploy/systemd/: valid for systemd, on prefect.yaml's work pool, secrets
only in their environment files. (tests/test_production.py runs their commands for real.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import UNITS, unit_entries

ROOT = Path(__file__).parents[1]

INSTALLED = "/opt/smallcap-weekly"  # where the units expect the clone and its .venv
POOL = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"][0]["work_pool"]["name"]


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not found: apt-get install systemd")
    # As installed: the clone's path is this one, so ExecStart names a real executable; the template as instance 1.
    names = {"prefect-server.service": "prefect-server.service", "prefect-worker@.service": "prefect-worker@1.service"}
    for unit, installed in names.items():
        text = (UNITS / unit).read_text(encoding="utf-8").replace(INSTALLED, str(ROOT))
        (tmp_path / installed).write_text(text, encoding="utf-8")
    out = subprocess.run(
        ["systemd-analyze", "verify", *[str(tmp_path / n) for n in names.values()]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify exits 0 on an unknown key or a bad value, but says so: any output is a finding.
    assert (out.returncode, out.stdout + out.stderr) == (0, "")


def test_a_unit_that_systemd_would_warn_about_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a misspelt key is reported."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not found: apt-get install systemd")
    text = (UNITS / "prefect-server.service").read_text(encoding="utf-8").replace(INSTALLED, str(ROOT))
    (tmp_path / "prefect-server.service").write_text(text.replace("RestartSec=", "RestartSecs="), encoding="utf-8")
    out = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "prefect-server.service")], capture_output=True, text=True
    )
    assert "Unknown key" in out.stdout + out.stderr


def test_workers_take_runs_from_the_deployments_pool() -> None:
    (start,) = unit_entries(UNITS / "prefect-worker@.service")["ExecStart"]
    args = start.split()
    assert args[1:4] == ["worker", "start", "--pool"] and args[4] == POOL == "smallcap-process"
    assert args[0] == f"{INSTALLED}/.venv/bin/prefect"
    (server,) = unit_entries(UNITS / "prefect-server.service")["ExecStart"]
    assert server.split() == [f"{INSTALLED}/.venv/bin/prefect", "server", "start"]


@pytest.mark.parametrize(
    ("unit", "env_file", "setting"),
    [
        ("prefect-server.service", "prefect-server.env", "PREFECT_API_DATABASE_CONNECTION_URL"),
        ("prefect-worker@.service", "worker.env", "PREFECT_API_URL"),
    ],
)
def test_settings_and_secrets_come_from_the_environment_file(unit: str, env_file: str, setting: str) -> None:
    entries = unit_entries(UNITS / unit)
    assert entries["EnvironmentFile"] == [f"/etc/smallcap/{env_file}"]
    # The unit itself sets only where Prefect keeps its own files.
    assert [e.split("=", 1)[0] for e in entries.get("Environment", [])] == ["PREFECT_HOME"]
    example = (UNITS / f"{env_file}.example").read_text(encoding="utf-8")
    assert f"\n{setting}=" in example
    assert "0600" in example.splitlines()[0]  # the example says how to keep it private
