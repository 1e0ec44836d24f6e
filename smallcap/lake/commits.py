"""The lake's commit log: which landed files are the truth, in which order, with their checksums.

A batch file in `daily_close/` is only landed; it becomes part of the truth when its run commits,
after every check, by adding `commits/<seq>.json`. The log is append-only and its order decides
which close wins: for a day held by several committed files, the file of the latest commit wins.
Committing a file again (say, the original batch after a revision) is a new commit, so an undo
works. Files no commit lists are never read. A repair commit retracts files that were damaged.

Each commit records the SHA-256 of every file it lists; every read of the truth verifies them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from smallcap.errors import SmallcapError

COMMITS = "commits"
DAILY_CLOSE = "daily_close"
DAMAGED = "damaged"


class LakeDamaged(SmallcapError):
    """A committed lake file is missing, unreadable or not what was committed."""


@dataclass(frozen=True)
class LakeFile:
    path: str  # relative to the lake folder, with forward slashes
    sha256: str
    rows: int
    first_date: str = ""  # the days it holds, to say what to extract again if it is lost
    last_date: str = ""


@dataclass(frozen=True)
class Commit:
    seq: int
    kind: str  # weekly | backfill | repair | adopted
    run_id: str
    run_name: str
    committed_at: str
    files: tuple[LakeFile, ...] = ()
    retracted: tuple[str, ...] = ()  # paths a repair took out of the truth
    note: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> Commit:
        raw = json.loads(text)
        files = tuple(LakeFile(**f) for f in raw.pop("files", []))
        return cls(files=files, retracted=tuple(raw.pop("retracted", [])), **raw)


@dataclass(frozen=True)
class Live:
    """A committed file in force: its checksum and the commit that last listed it."""

    path: str
    sha256: str
    seq: int


@dataclass
class Problem:
    path: str
    seq: int
    what: str  # missing | checksum mismatch
    moved_to: Path | None = field(default=None)

    def line(self) -> str:
        where = f" (moved to {self.moved_to})" if self.moved_to else ""
        return f"lake file {self.path} from commit {self.seq} is {self.what}{where}"


def commit_path(lake_dir: Path, seq: int) -> Path:
    return lake_dir / COMMITS / f"{seq:010d}.json"


def read_log(lake_dir: Path) -> list[Commit]:
    """Every commit, oldest first. Files being written (dot-names) are not commits yet."""
    folder = lake_dir / COMMITS
    if not folder.is_dir():
        return []
    names = sorted(p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith("."))
    return [Commit.from_json(p.read_text(encoding="utf-8")) for p in names]


def head(log: Sequence[Commit]) -> int:
    return log[-1].seq if log else 0


def live_files(log: Iterable[Commit]) -> dict[str, Live]:
    """The files in force after the whole log: each with the checksum of the last commit listing it."""
    live: dict[str, Live] = {}
    for commit in log:
        for path in commit.retracted:
            live.pop(path, None)
        for f in commit.files:
            live[f.path] = Live(f.path, f.sha256, commit.seq)
    return live


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe(lake_dir: Path, paths: Iterable[Path]) -> tuple[LakeFile, ...]:
    """Checksums and row counts of files about to be committed."""
    out = []
    for p in paths:
        rel = p.resolve().relative_to(lake_dir.resolve()).as_posix()
        days = pq.read_table(p, columns=["trade_date"]).column("trade_date")
        first, last = (str(min(days.to_pylist())), str(max(days.to_pylist()))) if len(days) else ("", "")
        out.append(LakeFile(rel, sha256(p), len(days), first, last))
    return tuple(out)


def new_commit(
    log: Sequence[Commit], kind: str, run_id: str, run_name: str, files: tuple[LakeFile, ...] = (), **extra: object
) -> Commit:
    return Commit(
        seq=head(log) + 1,
        kind=kind,
        run_id=run_id,
        run_name=run_name,
        committed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        files=files,
        **extra,  # type: ignore[arg-type]
    )


def append(lake_dir: Path, commit: Commit) -> Path:
    """Write a commit at once (adoption, repair), never over another: a taken number fails."""
    target = commit_path(lake_dir, commit.seq)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    partial.write_text(commit.to_json(), encoding="utf-8")
    try:
        os.link(partial, target)
    except FileExistsError:
        raise SmallcapError(f"lake commit {commit.seq} was written by another process meanwhile") from None
    finally:
        partial.unlink()
    return target


def commit_now(lake_dir: Path, paths: Sequence[Path], kind: str, run_name: str, run_id: str = "") -> Commit:
    """Commit landed files at once, outside a run's release (adoption of an old lake, tools, tests)."""
    commit = new_commit(read_log(lake_dir), kind, run_id, run_name, describe(lake_dir, paths))
    append(lake_dir, commit)
    return commit


def problems(lake_dir: Path, live: dict[str, Live]) -> list[Problem]:
    """Committed files that are gone or whose bytes are not the ones committed."""
    found = []
    for entry in sorted(live.values(), key=lambda e: e.path):
        path = lake_dir / entry.path
        if not path.is_file():
            found.append(Problem(entry.path, entry.seq, "missing"))
        elif sha256(path) != entry.sha256:
            found.append(Problem(entry.path, entry.seq, "not what was committed (checksum mismatch)"))
    return found


def move_aside(lake_dir: Path, found: list[Problem]) -> list[Problem]:
    """Damaged files go to lake/damaged/<time>/, out of every read, for a person to inspect."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    for p in found:
        source = lake_dir / p.path
        if source.is_file():
            target = lake_dir / DAMAGED / stamp / p.path
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            p.moved_to = target
    return found


def damaged_error(found: list[Problem]) -> LakeDamaged:
    first = found[0].line()
    more = f" and {len(found) - 1} more" if len(found) > 1 else ""
    return LakeDamaged(
        f"{first}{more}: nothing was published and the last good warehouse is kept; recover by running the week "
        "that extracted it again (the same batch lands again), or `smallcap lake repair` to take it out of the lake"
    )


def uncommitted(lake_dir: Path, log: Sequence[Commit]) -> list[Path]:
    """Batch files no commit ever listed: landed by a run that did not commit (killed, or failed after landing)."""
    listed = {f.path for c in log for f in c.files}
    root = lake_dir / DAILY_CLOSE
    if not root.is_dir():
        return []
    found = []
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            if name.endswith(".parquet") and not name.startswith("."):
                path = Path(dirpath) / name
                if path.relative_to(lake_dir).as_posix() not in listed:
                    found.append(path)
    return sorted(found)


def adoption_order(files: Sequence[Path]) -> list[list[Path]]:
    """A lake written before the commit log: its batches in landing order, one group per batch.

    Until then the latest landing won; committing the batches in that order keeps every close as it was.
    """
    landed: dict[str, tuple[object, list[Path]]] = {}
    for path in files:
        table = pq.read_table(path, columns=["batch_id", "landed_at"])
        bid = table.column("batch_id")[0].as_py() if table.num_rows else path.stem
        when = max(table.column("landed_at").to_pylist()) if table.num_rows else None
        first, group = landed.setdefault(bid, (when, []))
        group.append(path)
        if when is not None and (first is None or when > first):
            landed[bid] = (when, group)
    ordered = sorted(landed.items(), key=lambda kv: (str(kv[1][0]), kv[0]))
    return [group for _bid, (_when, group) in ordered]
