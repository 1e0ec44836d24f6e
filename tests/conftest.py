"""Shared fixtures: real data from tests/data, one Prefect test server for the whole session, and
completed weekly runs that several tests read (never write: a test that reruns copies the folder).

A test that needs the Prefect server (a whole flow run, the CLI end to end) is marked `flow`;
`pytest -m "not flow"` is the fast loop without the server.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

# Before Prefect is imported anywhere: no telemetry, and results/caches in a throwaway folder so
# nothing leaks between sessions.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ["PREFECT_LOCAL_STORAGE_PATH"] = tempfile.mkdtemp(prefix="smallcap-prefect-results-")
# yfinance picks its HTTP client once, when imported: curl_cffi (the production path, which no
# replay library intercepts) unless this is set. With it yfinance uses `requests`, which
# tests/replay.py answers with `responses`, so yfinance's own request and parsing code runs.
os.environ["YF_DISABLE_CURL_CFFI"] = "1"

DATA = Path(__file__).parent / "data"
LONG_HISTORY = DATA / "index_closes_2022-01-03_2026-02-13.csv"
YEAR = DATA / "index_closes_2024-11-20_2025-11-21.csv"
# The bundled sample's known answers: every NYSE session 2024-11-14 to 2026-02-13, the seed's week last.
SAMPLE = DATA / "index_closes_2024-11-14_2026-02-13.csv"
SEED = DATA / "weekly-comment-2026-02-13.ja.txt"
THREE = ["R2000G", "SPX", "DJIA"]


def read_closes(path: Path, codes: list[str] = THREE) -> pd.DataFrame:
    frame = pd.read_csv(path, parse_dates=["date"])
    return frame[frame["index_code"].isin(codes)].reset_index(drop=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the Prefect test server (directly or through a fixture) is a `flow` test,
    marked or not, so the fast loop never starts the server."""
    for item in items:
        if "prefect_server" in item.fixturenames and item.get_closest_marker("flow") is None:
            item.add_marker(pytest.mark.flow)


@pytest.fixture(scope="session")
def prefect_server():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def write_year_csv(folder: Path) -> Path:
    path = folder / "closes.csv"
    read_closes(YEAR).to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


@pytest.fixture
def year_csv(tmp_path: Path) -> Path:
    """The one-year real sample, three indices, as a user's CSV."""
    return write_year_csv(tmp_path)


@pytest.fixture(scope="module")
def year_csv_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_year_csv(tmp_path_factory.mktemp("csv"))


def land_and_build(batches: list[pd.DataFrame], lake: Path, target: Path) -> Path:
    """Land and commit each batch in turn, as runs do, then build the warehouse from the committed lake."""
    from smallcap.lake import commits
    from smallcap.lake.batches import land
    from smallcap.lake.truth import committed_file_frame
    from tasks.load import build_warehouse

    for batch in batches:
        commits.commit_now(lake, land(batch, lake), "test", "test")
    return build_warehouse.fn(committed_file_frame(lake, commits.live_files(commits.read_log(lake))), target, {})


@pytest.fixture
def prefect_log_level():  # noqa: ANN201
    """The CLI quiets Prefect's logger as it finishes; invoked in-process, put it back for later tests."""
    logger = logging.getLogger("prefect")
    level = logger.level
    yield
    logger.setLevel(level)


@dataclass(frozen=True)
class CompletedRun:
    """A completed weekly run: its data folder, the flow's result and its flow run id. Read only."""

    data_dir: Path
    out: dict[str, str]
    flow_run_id: str


@pytest.fixture(scope="session")
def year_week(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> CompletedRun:
    """The week ending 2025-11-21 from the one-year real sample as a user's CSV, into an empty data folder."""
    from flows.weekly_report import weekly_report

    root = tmp_path_factory.mktemp("year-week")
    csv = write_year_csv(root)
    state = weekly_report(
        source="csv", csv_path=str(csv), week_ending=date(2025, 11, 21), data_dir=str(root / "d"), return_state=True
    )
    return CompletedRun(root / "d", state.result(), str(state.state_details.flow_run_id))


@pytest.fixture(scope="session")
def sample_week(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> CompletedRun:
    """The default run (`make run`): the bundled sample's last complete week, the seed's 2026-02-13."""
    from flows.weekly_report import weekly_report

    data = tmp_path_factory.mktemp("sample-week")
    state = weekly_report(data_dir=str(data), return_state=True)
    return CompletedRun(data, state.result(), str(state.state_details.flow_run_id))
