"""Analysts read while the pipeline writes; killed runs lose nothing. Real separate processes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.weekly_report import weekly_report

pytestmark = pytest.mark.usefixtures("prefect_server")
PROCS = Path(__file__).parent / "procs"
ROOT = Path(__file__).parents[1]
FIRST, SECOND = date(2025, 11, 14), date(2025, 11, 21)


def _run(csv: Path, week: date, data_dir: Path) -> dict[str, str]:
    return weekly_report(source="csv", csv_path=str(csv), week_ending=week, data_dir=str(data_dir))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _marts(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            t: con.sql(f"select * from marts.{t} order by all").fetchall()
            for t in ("dim_index", "daily_close", "weekly_close", "relative_strength")
        }


def _env() -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = dict(os.environ)
    env["PREFECT_API_URL"] = PREFECT_API_URL.value()  # the test server: no second temporary server
    env["PYTHONPATH"] = str(ROOT)
    return env


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
def reference(tmp_path_factory: pytest.TempPathFactory, year_csv_module: Path) -> dict[str, list[tuple]]:
    """Marts of an uninterrupted run of both weeks, to compare recovered runs with."""
    data = tmp_path_factory.mktemp("reference")
    _run(year_csv_module, FIRST, data)
    return _marts(Path(_run(year_csv_module, SECOND, data)["warehouse"]))


def test_run_succeeds_while_a_reader_holds_the_warehouse_read_only(tmp_path: Path, year_csv: Path, holder) -> None:
    warehouse = Path(_run(year_csv, FIRST, tmp_path)["warehouse"])
    reader = holder(warehouse, "ro")
    before = _ask(reader)
    assert before.endswith("datetime.date(2025, 11, 14))")

    _run(year_csv, SECOND, tmp_path)

    assert _ask(reader, "same") == before  # a connected reader keeps its consistent view
    assert _ask(reader, "reconnect").endswith("datetime.date(2025, 11, 21))")  # and sees the new one on reconnect


def test_run_with_a_read_write_holder_succeeds_without_touching_its_file(
    tmp_path: Path, year_csv: Path, holder
) -> None:
    warehouse = Path(_run(year_csv, FIRST, tmp_path)["warehouse"])
    writer = holder(warehouse, "rw")
    assert _ask(writer).endswith("datetime.date(2025, 11, 14))")

    _run(year_csv, SECOND, tmp_path)  # builds a new file: the holder's lock is on the old one

    assert _marts(warehouse)["weekly_close"][-1][1] == SECOND
    assert _ask(writer, "same").endswith("datetime.date(2025, 11, 14))")


@pytest.mark.parametrize("point", ["land", "build", "commit", "records", "draft", "publish"])
def test_sigkill_at_any_step_loses_nothing_and_the_next_run_completes(
    tmp_path: Path, year_csv: Path, point: str, reference: dict[str, list[tuple]]
) -> None:
    warehouse = Path(_run(year_csv, FIRST, tmp_path)["warehouse"])
    published = _digest(warehouse)

    killed = subprocess.run(
        [sys.executable, str(PROCS / "killed_run.py"), point, str(year_csv), SECOND.isoformat(), str(tmp_path)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -9, killed.stderr[-2000:]

    # The last published warehouse is intact and opens; before the publish it is the very same file.
    assert _marts(warehouse)["weekly_close"]
    if point != "draft":
        assert _digest(warehouse) == published

    out = _run(year_csv, SECOND, tmp_path)
    assert _marts(Path(out["warehouse"])) == reference
    assert Path(out["draft"]).is_file()
    assert not list(tmp_path.glob(".warehouse.duckdb.*"))  # the killed build's leftovers are gone
    assert len(list((tmp_path / "lake" / "daily_close").rglob("*.parquet"))) == 6  # two batches, once each
    duckdb.connect(str(warehouse)).close()  # and nobody holds a lock any more
