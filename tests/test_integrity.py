"""Nothing wrong is ever published: revisions and their undo, uncommitted batches, a damaged lake,
a missing or broken warehouse, a failure before the publish, two writers at once.

Every case runs the real flow (real GX, Parquet, DuckDB, Prefect) on the real one-year closes;
the known answers are the closes in tests/data and an independent pandas calculation of them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from flows.backfill import backfill
from flows.weekly_report import weekly_report
from tests import independent
from tests.conftest import YEAR, read_closes
from tests.helpers import digest

pytestmark = pytest.mark.usefixtures("prefect_server")
ROOT = Path(__file__).parents[1]
PROCS = Path(__file__).parent / "procs"
FIRST, WEEK = date(2025, 11, 14), date(2025, 11, 21)
DAY = "2025-11-21"  # the Dow's close this day is revised in these cases
REVISED = 46600.00


def _closes(revised: bool = False, until: str | None = None) -> pd.DataFrame:
    frame = read_closes(YEAR)
    if revised:
        frame.loc[(frame["index_code"] == "DJIA") & (frame["date"] == pd.Timestamp(DAY)), "close"] = REVISED
    if until is not None:
        frame = frame[frame["date"] <= pd.Timestamp(until)]
    return frame


def _csv(folder: Path, name: str, **kwargs: object) -> Path:
    path = folder / name
    _closes(**kwargs).to_csv(path, index=False, date_format="%Y-%m-%d")  # type: ignore[arg-type]
    return path


def _close(code: str, day: str) -> float:
    frame = _closes()
    return float(frame[(frame["index_code"] == code) & (frame["date"] == pd.Timestamp(day))]["close"].iloc[0])


ORIGINAL = _close("DJIA", DAY)


def _dow_week(revised: bool) -> str:
    """The Dow's 1-week change as the draft prints it, computed independently from the closes."""
    weekly = independent.weekly_close(_closes(revised=revised))
    ret = weekly[(weekly["index_code"] == "DJIA") & (weekly["week_ending"] == WEEK)]["return_1w"].iloc[0]
    return f"NYダウ(前週末比{ret * 100:+.2f}%)"


def _run(data: Path, csv: Path, week: date = WEEK, **kwargs: object):  # noqa: ANN202
    return weekly_report(
        source="csv", csv_path=str(csv), week_ending=week, data_dir=str(data), return_state=True, **kwargs
    )


def _sql(data: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(query).fetchall()


def _dow_close(data: Path) -> float:
    return _sql(data, f"select close from marts.daily_close where index_code = 'DJIA' and trade_date = '{DAY}'")[0][0]


def _draft(data: Path, week: date = WEEK) -> str:
    return (data / "reports" / f"{week:%Y-%m-%d}" / "comment.ja.txt").read_text(encoding="utf-8")


def _commits(data: Path) -> list[Path]:
    return sorted(p for p in (data / "lake" / "commits").glob("*.json") if not p.name.startswith("."))


def _published(data: Path) -> dict[str, str]:
    """Everything a reader sees: the warehouse, the drafts and chart, the lake's commits.

    (A failed run's own records are written: what it did is kept, beside what is published.)
    """
    files = [data / "warehouse.duckdb", *(data / "reports").rglob("*")]
    return {str(p): digest(p) for p in [*files, *_commits(data)] if p.is_file()}


@pytest.fixture(scope="module")
def week_done(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder after a good run of the week on the original closes (copied by each test)."""
    root = tmp_path_factory.mktemp("week")
    assert _run(root / "data", _csv(root, "original.csv")).is_completed()
    return root / "data"


@pytest.fixture(scope="module")
def first_done(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder after a good run of the week before."""
    root = tmp_path_factory.mktemp("first")
    assert _run(root / "data", _csv(root, "first.csv", until=FIRST.isoformat()), FIRST).is_completed()
    return root / "data"


def _copy(done: Path, tmp_path: Path) -> Path:
    shutil.copytree(done, tmp_path / "data")
    return tmp_path / "data"


def test_undoing_a_revision_restores_the_original_close_in_the_marts_and_the_draft(
    week_done: Path, tmp_path: Path
) -> None:
    data = _copy(week_done, tmp_path)
    original, revised = _csv(tmp_path, "original.csv"), _csv(tmp_path, "revised.csv", revised=True)
    assert _dow_week(False) in _draft(data)

    assert _run(data, revised, allow_revisions=True).is_completed()
    assert _dow_close(data) == REVISED
    assert _dow_week(True) in _draft(data)

    undo = _run(data, original, allow_revisions=True)
    assert undo.is_completed(), undo.message
    assert _dow_close(data) == ORIGINAL
    assert _dow_week(False) in _draft(data)
    changes = _sql(data, "select published_close, close, accepted from meta.revisions order by found_at")
    assert changes == [(ORIGINAL, REVISED, True), (REVISED, ORIGINAL, True)]
    assert len(_commits(data)) == 3  # landing the same batch again is a new commit, not a no-op


def test_backfill_checks_revisions_against_the_lake_and_records_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    original, revised = _csv(tmp_path, "original.csv"), _csv(tmp_path, "revised.csv", revised=True)
    start = date(2025, 9, 1)
    first = backfill(start=start, source="csv", csv_path=str(original), data_dir=str(data), return_state=True)
    assert first.is_completed(), first.message
    before = digest(data / "warehouse.duckdb")

    refused = backfill(start=start, source="csv", csv_path=str(revised), data_dir=str(data), return_state=True)
    assert refused.is_failed()
    assert f"index_code=DJIA trade_date={DAY} published_close={ORIGINAL} close={REVISED}" in refused.message
    assert digest(data / "warehouse.duckdb") == before  # nothing published
    assert _dow_close(data) == ORIGINAL

    accepted = backfill(
        start=start, source="csv", csv_path=str(revised), data_dir=str(data), allow_revisions=True, return_state=True
    )
    assert accepted.is_completed(), accepted.message
    assert _dow_close(data) == REVISED
    rows = _sql(data, "select index_code, trade_date::varchar, published_close, close, accepted from meta.revisions")
    assert (("DJIA", DAY, ORIGINAL, REVISED, True)) in rows


def test_a_revision_landed_by_a_run_that_failed_never_goes_live(
    week_done: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _copy(week_done, tmp_path)
    original, revised = _csv(tmp_path, "original.csv"), _csv(tmp_path, "revised.csv", revised=True)
    published = _published(data)

    import warehouse.build

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(warehouse.build, "build", disk_full)  # the disk fills while the warehouse builds
    failed = _run(data, revised, allow_revisions=True)
    monkeypatch.undo()
    assert failed.is_failed()
    assert "No space left on device" in failed.message
    assert _published(data) == published  # landed, but nothing committed or published
    assert _sql(data, "select count(*) from meta.revisions") == [(0,)]

    rerun = _run(data, original)  # the original file, without --allow-revisions
    assert rerun.is_completed(), rerun.message
    assert _dow_close(data) == ORIGINAL
    assert _dow_week(False) in _draft(data)
    # The failed run's revision is on record as found, never as accepted.
    assert _sql(data, "select close, accepted from meta.revisions") == [(REVISED, False)]
    assert list((data / "quarantine").glob("uncommitted-*/daily_close/*/index_code=DJIA/*.parquet"))


def test_a_run_killed_after_landing_leaves_nothing_live(week_done: Path, tmp_path: Path) -> None:
    data = _copy(week_done, tmp_path)
    original, revised = _csv(tmp_path, "original.csv"), _csv(tmp_path, "revised.csv", revised=True)
    published = _published(data)
    killed = subprocess.run(
        [sys.executable, str(PROCS / "killed_run.py"), "build", str(revised), WEEK.isoformat(), str(data), "revise"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert _published(data) == published

    rerun = _run(data, original)
    assert rerun.is_completed(), rerun.message
    assert _dow_close(data) == ORIGINAL


def test_with_the_warehouse_missing_a_revision_is_still_refused(week_done: Path, tmp_path: Path) -> None:
    data = _copy(week_done, tmp_path)
    original, revised = _csv(tmp_path, "original.csv"), _csv(tmp_path, "revised.csv", revised=True)
    (data / "warehouse.duckdb").unlink()

    refused = _run(data, revised)
    assert refused.is_failed()
    assert f"index_code=DJIA trade_date={DAY} published_close={ORIGINAL} close={REVISED}" in refused.message
    assert not (data / "warehouse.duckdb").exists()

    rebuilt = _run(data, original)  # and the next good run rebuilds it from the committed lake
    assert rebuilt.is_completed(), rebuilt.message
    assert _dow_close(data) == ORIGINAL


def _spx_file(data: Path) -> Path:
    (path,) = (data / "lake" / "daily_close").glob("source=csv/index_code=SPX/*.parquet")
    return path


@pytest.mark.parametrize("where", [0.5, -12])  # a data page, the footer (test_commits flips every 40th byte)
def test_a_flipped_byte_in_the_lake_fails_the_run_and_keeps_the_last_warehouse(
    first_done: Path, tmp_path: Path, where: float
) -> None:
    data = _copy(first_done, tmp_path)
    damaged = _spx_file(data)
    raw = bytearray(damaged.read_bytes())
    offset = int(where * len(raw)) if where >= 0 else len(raw) + int(where)
    raw[offset] ^= 0x10
    damaged.write_bytes(bytes(raw))
    before = digest(data / "warehouse.duckdb")

    later = _run(data, _csv(tmp_path, "later.csv"))  # the next week: another batch, which reads the lake
    assert later.is_failed()
    assert damaged.relative_to(data / "lake").as_posix() in later.message
    assert "checksum" in later.message and "smallcap lake repair" in later.message
    assert "\n" not in later.message
    assert digest(data / "warehouse.duckdb") == before
    assert not damaged.exists()
    assert list((data / "lake" / "damaged").rglob(damaged.name))

    if where != 0.5:
        return
    # Running the week that extracted it again lands the same batch: the file is whole again.
    assert _run(data, _csv(tmp_path, "first.csv", until=FIRST.isoformat()), FIRST).is_completed()
    assert _run(data, _csv(tmp_path, "later.csv")).is_completed()
    spx = _sql(data, "select close from marts.daily_close where index_code = 'SPX' and trade_date = '2025-11-14'")
    assert spx == [(_close("SPX", "2025-11-14"),)]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env or _env(), capture_output=True, text=True, timeout=300
    )


def test_a_truncated_lake_file_is_named_then_repaired(first_done: Path, tmp_path: Path) -> None:
    data = _copy(first_done, tmp_path)
    damaged = _spx_file(data)
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])

    verify = _cli("lake", "verify", "--data-dir", str(data))
    assert verify.returncode == 1
    assert damaged.name in verify.stdout and verify.stderr.strip().splitlines()[-1].startswith("error: ")

    later = _csv(tmp_path, "later.csv")
    assert _run(data, later).is_failed()
    assert _run(data, later).is_failed()  # moved aside, still missing from the truth: named again, not DuckDB's text

    repair = _cli("lake", "repair", "--data-dir", str(data))
    assert repair.returncode == 0, repair.stderr
    assert "took 1 file(s) out of the lake's truth" in repair.stdout
    assert _cli("lake", "verify", "--data-dir", str(data)).returncode == 0

    healed = _run(data, later)  # its closes come back with the next extraction
    assert healed.is_completed(), healed.message
    assert _dow_close(data) == ORIGINAL


@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_a_broken_warehouse_file_is_rebuilt_with_a_warning(
    week_done: Path, tmp_path: Path, damage: str, caplog
) -> None:  # noqa: ANN001
    data = _copy(week_done, tmp_path)
    csv = _csv(tmp_path, "original.csv")
    path = data / "warehouse.duckdb"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3] if damage == "truncated" else b"")

    rerun = _run(data, csv)
    assert rerun.is_completed(), rerun.message
    assert _dow_close(data) == ORIGINAL
    assert any("rebuilding it from the committed lake" in r.getMessage() for r in caplog.records)


def test_a_run_that_cannot_publish_its_chart_changes_nothing(first_done: Path, tmp_path: Path) -> None:
    data = _copy(first_done, tmp_path)
    (data / "reports" / f"{WEEK:%Y-%m-%d}" / "ratio.png").mkdir(parents=True)  # the chart cannot be written there
    published = _published(data)

    failed = _run(data, _csv(tmp_path, "revised.csv", revised=True), allow_revisions=True)
    assert failed.is_failed()
    assert "ratio.png" in failed.message and "\n" not in failed.message
    assert _published(data) == published
    assert not (data / "reports" / f"{WEEK:%Y-%m-%d}" / "comment.ja.txt").exists()
    assert not (data / "reports" / f"{WEEK:%Y-%m-%d}" / "report.html").exists()
    assert not list(data.rglob("*.staged*"))  # what it staged is gone


def _env(**extra: str) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = dict(os.environ)
    env["PREFECT_API_URL"] = PREFECT_API_URL.value()  # the test server: no temporary server per process
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _wait_for(condition, what: str, timeout: float = 120) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _start(data: Path, csv: Path, week: date, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    args = ["run", "--csv", str(csv), "--week-ending", week.isoformat(), "--data-dir", str(data), *extra]
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        env=env or _env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _building(data: Path) -> bool:
    return any(data.glob("*.staged.duckdb.*.building"))


def test_a_paused_run_never_publishes_over_a_newer_one(week_done: Path, tmp_path: Path) -> None:
    data = _copy(week_done, tmp_path)
    first, revised = _csv(tmp_path, "first.csv", until=FIRST.isoformat()), _csv(tmp_path, "revised.csv", revised=True)
    older = _start(data, first, FIRST)  # a re-run of the week before
    _wait_for(lambda: _building(data), "the first run to build its warehouse")
    older.send_signal(signal.SIGSTOP)  # paused mid-build, holding the data folder
    try:
        newer = _start(data, revised, WEEK, "--allow-revisions")
        waited = []
        assert newer.stdout is not None
        for line in newer.stdout:
            waited.append(line)
            if "waiting for the data folder" in line:
                break
        assert any("held by weekly-2025-11-14" in line for line in waited), "".join(waited)
    finally:
        older.send_signal(signal.SIGCONT)
    out_older, _ = older.communicate(timeout=300)
    out_newer, _ = newer.communicate(timeout=300)
    assert older.returncode == 0, out_older[-2000:]
    assert newer.returncode == 0, out_newer[-2000:]

    # The newer run published last, from a commit after the older one's, with its run and revision records.
    assert _dow_close(data) == REVISED
    assert _dow_week(True) in _draft(data)
    runs = _sql(data, "select run_name, flow_run_id, gate_status from meta.pipeline_runs order by started_at")
    assert [(name, status) for name, _, status in runs] == [
        (f"weekly-{week}-{run_id[:8]}", "passed")
        for week, (_, run_id, _) in zip(["2025-11-21", "2025-11-14", "2025-11-21"], runs, strict=True)
    ]
    assert _sql(data, "select published_close, close, accepted from meta.revisions") == [(ORIGINAL, REVISED, True)]
    assert len(_commits(data)) == 3


def test_a_second_writer_gives_up_after_the_wait_with_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    older = _start(data, _csv(tmp_path, "first.csv", until=FIRST.isoformat()), FIRST)
    _wait_for(lambda: _building(data), "the first run to build its warehouse")
    older.send_signal(signal.SIGSTOP)
    try:
        newer = _cli(
            "run",
            "--csv",
            str(_csv(tmp_path, "all.csv")),
            "--week-ending",
            WEEK.isoformat(),
            "--data-dir",
            str(data),
            env=_env(SMALLCAP_WRITER_WAIT_SECONDS="3"),
        )
    finally:
        older.send_signal(signal.SIGCONT)
    assert newer.returncode == 1
    last = newer.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the data folder") and "still held by weekly-2025-11-14" in last
    out, _ = older.communicate(timeout=300)
    assert older.returncode == 0, out[-2000:]
    assert _sql(data, "select max(week_ending) from marts.weekly_close") == [(FIRST,)]
