"""Prefect's temporary API server, started by `smallcap run` before Prefect is even imported.

Without PREFECT_API_URL, the first flow call makes Prefect import its whole server into the
calling process (seconds), then start it in a subprocess and wait for it (seconds more), one
after the other. Started here first, the same subprocess boots on the other core while this
process imports Prefect, Great Expectations and the pipeline; the flow then uses it as its API.
The command and environment are Prefect's own (prefect.server.api.server.SubprocessASGIServer).
If Prefect's settings name an API after all, or the server does not come up, Prefect's own
behaviour takes over.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# What Prefect sets for its own temporary server: no UI, ephemeral mode.
_SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TemporaryServer:
    def __init__(self) -> None:
        spec = importlib.util.find_spec("prefect")  # its location, without importing it
        assert spec is not None and spec.submodule_search_locations, "prefect is not installed"
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(Path(next(iter(spec.submodule_search_locations))).parent),
                "--factory",
                "prefect.server.api.server:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env={**os.environ, **_SERVER_ENV},
        )
        atexit.register(self.stop)  # a Ctrl-C during start-up too: the server never outlives the command

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def wait_until_healthy(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while self.process is not None and self.process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def start() -> TemporaryServer | None:
    """Start the server now, unless the environment already names an API."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    return TemporaryServer()


@contextmanager
def prefect_api(server: TemporaryServer | None) -> Iterator[None]:
    """Flows called within use `server` as their API. It stops when the process exits, after
    Prefect's own exit handlers have sent the last logs and events (as Prefect's does)."""
    if server is None:
        yield
        return
    atexit.register(server.stop)  # registered before Prefect's handlers, so it runs after them
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_EPHEMERAL_ENABLED,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        PREFECT_UI_URL,
        temporary_settings,
    )

    wanted = not PREFECT_API_URL.value() and PREFECT_SERVER_EPHEMERAL_ENABLED.value()
    if not (wanted and server.wait_until_healthy(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())):
        server.stop()  # a profile names another API, or it did not start: Prefect's own way
        yield
        return
    # No UI is served, so no "View at" links to it (Prefect's temporary server prints none either).
    with temporary_settings(updates={PREFECT_API_URL: server.api_url, PREFECT_UI_URL: ""}):
        yield
