"""The start-up speed-ups of `smallcap run`: the early temporary server and the GX preload."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import psutil
import pytest

from app import temporary_server
from smallcap.quality import gate
from smallcap.sources.batch import from_long_text
from tests.conftest import YEAR, read_closes

ROOT = Path(__file__).parents[1]


def _script(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**clean, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.flow
def test_early_server_serves_the_flow_and_stops_with_the_process() -> None:
    out = _script(
        """
        from app import temporary_server
        server = temporary_server.start()
        from prefect import flow
        from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL

        @flow
        def hello() -> str:
            return "ran"

        with temporary_server.prefect_api(server):
            print(PREFECT_API_URL.value(), repr(PREFECT_UI_URL.value()), server.process.pid, hello())
        """
    )
    assert out.returncode == 0, out.stderr[-2000:]
    api, ui, pid, result = out.stdout.split()
    assert api.startswith("http://127.0.0.1:") and api.endswith("/api")
    assert ui == "''" and result == "ran"
    assert not psutil.pid_exists(int(pid))  # stopped and reaped when the process exited


@pytest.mark.flow
def test_a_server_that_does_not_start_leaves_it_to_prefect() -> None:
    out = _script(
        """
        from app import temporary_server
        server = temporary_server.start()
        server.process.kill()
        from prefect import flow
        from prefect.settings import PREFECT_API_URL

        @flow
        def hello() -> str:
            return "ran"

        with temporary_server.prefect_api(server):
            print(PREFECT_API_URL.value(), hello())
        """
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["None", "ran"]  # Prefect started its own temporary server


def test_no_early_server_when_an_api_is_configured(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert temporary_server.start() is None


def test_gate_after_preload_validates_the_same() -> None:
    gate.preload()
    gate.preload()  # idempotent: one thread
    batch = from_long_text(
        read_closes(YEAR).assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d")).astype(str),
        "csv",
        date(2000, 1, 1),
        date(2025, 11, 21),
    )
    report = gate.validate(batch, week_ending=date(2025, 11, 21), today=date(2025, 11, 22))
    assert report.success and report.evaluated == len(report.checks) > 12
    assert "close > 0" in {c.expectation for c in report.checks}
    assert not gate._preloading.is_alive()
