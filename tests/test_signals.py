"""Ctrl-C and SIGTERM stop a run at its next safe point: nothing published, one line, the shell's code.

The real command in its own process; the signal is sent as the run reaches a named step."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CompletedRun
from tests.helpers import digest, prefect_server_env

PROCS = Path(__file__).parent / "procs"
ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize(("name", "step", "code"), [("SIGINT", "gate", 130), ("SIGTERM", "build", 143)])
def test_a_signal_stops_the_run_before_its_publish(
    sample_week: CompletedRun, tmp_path: Path, name: str, step: str, code: int
) -> None:
    data = tmp_path / "data"
    shutil.copytree(sample_week.data_dir, data)
    published = {p: digest(p) for p in [data / "warehouse.duckdb", *(data / "reports").rglob("*.*")] if p.is_file()}
    commits = sorted((data / "lake" / "commits").iterdir())

    out = subprocess.run(
        [sys.executable, str(PROCS / "signalled_cli.py"), name, step, "run", "--data-dir", str(data)],
        env=prefect_server_env(PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert out.returncode == code, out.stderr[-3000:]
    assert out.stderr.strip().splitlines()[-1] == f"error: interrupted ({name})"
    assert out.stdout == ""
    assert {p: digest(p) for p in published} == published  # the last good outputs, untouched
    assert sorted((data / "lake" / "commits").iterdir()) == commits
    assert not (data / ".releases").exists() or not list((data / ".releases").iterdir())  # no staged leftovers
