"""The lake's commit log, the release journal and the writer lock, as plain functions (no Prefect)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from smallcap import publish, writer
from smallcap.lake import commits, recovery, repair
from smallcap.lake.batches import land
from smallcap.lake.truth import committed_closes
from smallcap.sources.batch import from_long_text
from tests.conftest import YEAR, read_closes


def _batch(dj: float | None = None, end: str = "2025-11-21") -> pd.DataFrame:
    daily = read_closes(YEAR)
    daily = daily[daily["date"] <= pd.Timestamp(end)].copy()
    if dj is not None:
        daily.loc[(daily["index_code"] == "DJIA") & (daily["date"] == pd.Timestamp(end)), "close"] = dj
    text = daily.assign(date=daily["date"].dt.strftime("%Y-%m-%d")).astype(str)
    return from_long_text(text, "csv", date(2000, 1, 1), date.fromisoformat(end))


def _dow(lake: Path, day: str = "2025-11-21") -> float:
    live = commits.live_files(commits.read_log(lake))
    frame = committed_closes(lake, live, ["DJIA"], date.fromisoformat(day), date.fromisoformat(day))
    return float(frame["close"].iloc[0])


def test_the_latest_commit_wins_and_committing_again_undoes(tmp_path: Path) -> None:
    original, revised = land(_batch(), tmp_path), land(_batch(dj=46600.0), tmp_path)
    commits.commit_now(tmp_path, original, "weekly", "a")
    assert _dow(tmp_path) == 46245.41
    commits.commit_now(tmp_path, revised, "weekly", "b")
    assert _dow(tmp_path) == 46600.0
    commits.commit_now(tmp_path, original, "weekly", "c")  # the same files again: a new commit
    assert _dow(tmp_path) == 46245.41
    assert [c.seq for c in commits.read_log(tmp_path)] == [1, 2, 3]


def test_landed_but_uncommitted_files_are_not_the_truth(tmp_path: Path) -> None:
    commits.commit_now(tmp_path, land(_batch(), tmp_path), "weekly", "a")
    stray = land(_batch(dj=46600.0), tmp_path)
    assert _dow(tmp_path) == 46245.41
    assert commits.uncommitted(tmp_path, commits.read_log(tmp_path)) == sorted(stray)


def test_every_byte_changed_is_found_and_named(tmp_path: Path) -> None:
    (path, *_) = land(_batch(), tmp_path)
    commits.commit_now(tmp_path, [path], "weekly", "a")
    live = commits.live_files(commits.read_log(tmp_path))
    assert commits.problems(tmp_path, live) == []
    raw = path.read_bytes()
    for offset in range(0, len(raw), max(1, len(raw) // 40)):
        flipped = bytearray(raw)
        flipped[offset] ^= 0x01
        path.write_bytes(bytes(flipped))
        (found,) = commits.problems(tmp_path, live)
        assert found.path == path.relative_to(tmp_path).as_posix() and "checksum" in found.what
    path.unlink()
    assert [p.what for p in commits.problems(tmp_path, live)] == ["missing"]


def test_repair_retracts_a_damaged_file_and_the_older_commit_shows_through(tmp_path: Path) -> None:
    commits.commit_now(tmp_path, land(_batch(), tmp_path), "weekly", "a")
    revised = land(_batch(dj=46600.0), tmp_path)
    commits.commit_now(tmp_path, revised, "weekly", "b")
    dow_file = next(p for p in revised if "DJIA" in str(p))
    dow_file.write_bytes(dow_file.read_bytes()[:100])
    lines = repair.repair(tmp_path)
    assert any("extract 2024-11-20 to 2025-11-21 again" in line for line in lines)
    assert commits.problems(tmp_path, commits.live_files(commits.read_log(tmp_path))) == []
    assert _dow(tmp_path) == 46245.41  # the damaged revision is out; the original close is the truth again
    assert list((tmp_path / "damaged").rglob(dow_file.name))


def test_a_lake_from_before_the_commit_log_is_adopted_in_landing_order(tmp_path: Path) -> None:
    first = land(_batch(), tmp_path)
    second = land(_batch(dj=46600.0), tmp_path)  # landed later: it won before commits existed
    groups = commits.adoption_order(commits.uncommitted(tmp_path, []))
    assert [sorted(g) for g in groups] == [sorted(first), sorted(second)]


def test_a_release_publishes_everything_or_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old a")
    (tmp_path / "b.txt").write_text("old b")
    with publish.Release(tmp_path, "r1") as release:
        release.write_text(tmp_path / "a.txt", "new a")
        release.write_text(tmp_path / "b.txt", "new b")
        release.publish()
    assert [(tmp_path / n).read_text() for n in ("a.txt", "b.txt")] == ["new a", "new b"]

    with pytest.raises(RuntimeError), publish.Release(tmp_path, "r2") as release:
        release.write_text(tmp_path / "a.txt", "newer a")
        raise RuntimeError("a later step failed")
    assert (tmp_path / "a.txt").read_text() == "new a"
    assert not list(tmp_path.glob(".*staged*")) and not list((tmp_path / publish.JOURNALS).iterdir())


def test_a_release_interrupted_after_its_journal_is_finished_by_the_next_writer(tmp_path: Path) -> None:
    release = publish.Release(tmp_path, "r1")
    release.write_text(tmp_path / "a.txt", "new a")
    release.write_text(tmp_path / "b.txt", "new b")
    staged = [str(s) for s, _ in release.renames]
    journal = tmp_path / publish.JOURNALS / "r1.json"
    journal.write_text(
        json.dumps(
            {
                "renames": [[s, str(tmp_path / n)] for s, n in zip(staged, ("a.txt", "b.txt"), strict=True)],
                "deletes": [],
            }
        )
    )
    Path(staged[0]).replace(tmp_path / "a.txt")  # died after the first rename
    dead = publish.Release(tmp_path, "r2")  # and another run died before its journal
    dead.write_text(tmp_path / "c.txt", "never")

    notes = publish.recover(tmp_path)
    assert len(notes) == 2
    assert [(tmp_path / n).read_text() for n in ("a.txt", "b.txt")] == ["new a", "new b"]
    assert not (tmp_path / "c.txt").exists() and not list(tmp_path.glob(".*staged*"))


def test_a_second_writer_waits_then_fails_naming_the_holder(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from smallcap import writer
            with writer.exclusive(Path({str(tmp_path)!r}), "weekly-2026-02-13", 5, print):
                print("held", flush=True)
                sys.stdin.read()
            """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        said: list[str] = []
        busy = pytest.raises(writer.WriterBusy, match=r"still held by weekly-2026-02-13, pid \d+")
        with busy, writer.exclusive(tmp_path, "weekly-2026-02-20", 0.5, said.append):
            pass
        assert said and "waiting for the data folder" in said[0]
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with writer.exclusive(tmp_path, "weekly-2026-02-20", 0.5, said.append):  # released with its process
        pass


def test_the_first_writer_adopts_an_old_lake_and_later_ones_set_stray_files_aside(tmp_path: Path) -> None:
    lake, quarantine = tmp_path / "lake", tmp_path / "quarantine"
    land(_batch(), lake)
    land(_batch(dj=46600.0), lake)  # landed last: it won before the commit log existed, and still does
    (note,) = recovery.recover(tmp_path, lake, quarantine)
    assert note.startswith("adopted 6 lake file(s)")
    assert _dow(lake) == 46600.0

    stray = land(_batch(end="2025-11-14"), lake)  # a run that died after landing
    (note,) = recovery.recover(tmp_path, lake, quarantine)
    assert "set aside 3 lake file(s)" in note
    assert not any(p.exists() for p in stray)
    (kept,) = quarantine.glob("uncommitted-*")
    assert "did not commit" in (kept / "reason.txt").read_text()
    assert recovery.recover(tmp_path, lake, quarantine) == []
