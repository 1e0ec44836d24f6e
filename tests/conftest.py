"""Shared fixtures: real data from tests/data, one Prefect test server for the whole session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest

# Before Prefect is imported anywhere: no telemetry, and results/caches in a throwaway folder so
# nothing leaks between sessions.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ["PREFECT_LOCAL_STORAGE_PATH"] = tempfile.mkdtemp(prefix="smallcap-prefect-results-")

DATA = Path(__file__).parent / "data"
LONG_HISTORY = DATA / "index_closes_2022-01-03_2026-02-13.csv"
YEAR = DATA / "index_closes_2024-11-20_2025-11-21.csv"
SEED = DATA / "weekly-comment-2026-02-13.ja.txt"
THREE = ["R2000G", "SPX", "DJIA"]


def read_closes(path: Path, codes: list[str] = THREE) -> pd.DataFrame:
    frame = pd.read_csv(path, parse_dates=["date"])
    return frame[frame["index_code"].isin(codes)].reset_index(drop=True)


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
