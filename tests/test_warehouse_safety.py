"""Analysts read while the pipeline writes; killed runs lose nothing. Real separate processes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.weekly_report import weekly_report
from tests.helpers import digest, marts, prefect_server_env

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_server")]
PROCS = Path(__file__).parent / "procs"
ROOT = Path(__file__).parents[1]
FIRST, SECOND = date(2025, 11, 14), date(2025, 11, 21)


def _run(csv: Path, week: date, data_dir: Path) -> dict[str, str]:
    return weekly_report(source="csv", csv_path=str(csv), week_ending=week, data_dir=str(data_dir))


def _env() -> dict[str, str]:
    # The test server (no second temporary server); the test's own SMALLCAP_ settings kept.
    return prefect_server_env(keep_smallcap=True, PYTHONPATH=str(ROOT))


@pytest.fixture
def holder(request: pytest.FixtureRequest) -> Iterator:
    procs: list[subprocess.Popen[str]] = []

    def start(path: Path, mode: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, str(PROCS / "hold_warehouse.py"), str(path), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:  # no stray process (and so no lock) outlives the test
        proc.kill()
        proc.wait(timeout=10)


def _ask(proc: subprocess.Popen[str], line: str | None = None) -> str:
    if line is not None:
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
    return proc.stdout.readline().strip()


@pytest.fixture(scope="module")
def first_week(tmp_path_factory: pytest.TempPathFactory, year_csv_module: Path) -> Path:
    """A data folder after a completed run of the first week; each test works on its own copy."""
    data = tmp_path_factory.mktemp("first-week") / "d"
    _run(year_csv_module, FIRST, data)
    return data


def _after_first_week(first_week: Path, tmp_path: Path) -> Path:
    data = tmp_path / "d"
    shutil.copytree(first_week, data)
    return data


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory, year_csv_module: Path, first_week: Path
) -> dict[str, list[tuple]]:
    """Marts of an uninterrupted run of both weeks, to compare recovered runs with."""
    data = _after_first_week(first_week, tmp_path_factory.mktemp("reference"))
    return marts(Path(_run(year_csv_module, SECOND, data)["warehouse"]))


def test_run_succeeds_while_a_reader_holds_the_warehouse_read_only(
    tmp_path: Path, year_csv_module: Path, first_week: Path, holder
) -> None:
    data = _after_first_week(first_week, tmp_path)
    warehouse = data / "warehouse.duckdb"
    reader = holder(warehouse, "ro")
    before = _ask(reader)
    assert before.endswith("datetime.date(2025, 11, 14))")

    _run(year_csv_module, SECOND, data)

    assert _ask(reader, "same") == before  # a connected reader keeps its consistent view
    assert _ask(reader, "reconnect").endswith("datetime.date(2025, 11, 21))")  # and sees the new one on reconnect


def test_run_with_a_read_write_holder_succeeds_without_touching_its_file(
    tmp_path: Path, year_csv_module: Path, first_week: Path, holder
) -> None:
    data = _after_first_week(first_week, tmp_path)
    warehouse = data / "warehouse.duckdb"
    writer = holder(warehouse, "rw")
    assert _ask(writer).endswith("datetime.date(2025, 11, 14))")

    _run(year_csv_module, SECOND, data)  # builds a new file: the holder's lock is on the old one

    assert marts(warehouse)["weekly_close"][-1][1] == SECOND
    assert _ask(writer, "same").endswith("datetime.date(2025, 11, 14))")


@pytest.mark.parametrize("point", ["land", "build", "commit", "records", "draft", "publish"])
def test_sigkill_at_any_step_loses_nothing_and_the_next_run_completes(
    tmp_path: Path, year_csv_module: Path, first_week: Path, point: str, reference: dict[str, list[tuple]]
) -> None:
    data = _after_first_week(first_week, tmp_path)
    warehouse = data / "warehouse.duckdb"
    published = digest(warehouse)

    killed = subprocess.run(
        [sys.executable, str(PROCS / "killed_run.py"), point, str(year_csv_module), SECOND.isoformat(), str(data)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -9, killed.stderr[-2000:]

    # The last published warehouse is intact and opens; before the publish it is the very same file.
    assert marts(warehouse)["weekly_close"]
    if point != "draft":
        assert digest(warehouse) == published

    out = _run(year_csv_module, SECOND, data)
    assert marts(Path(out["warehouse"])) == reference
    assert Path(out["draft"]).is_file()
    assert not list(data.glob(".warehouse.duckdb.*"))  # the killed build's leftovers are gone
    assert len(list((data / "lake" / "daily_close").rglob("*.parquet"))) == 6  # two batches, once each
    duckdb.connect(str(warehouse)).close()  # and nobody holds a lock any more
