"""Publishing a run's outputs all at once: staged beside their targets, then switched in by one journal.

A run writes everything it will publish (the lake commit, its run records, the warehouse, the
chart, the drafts) under staged names next to where each goes. Only when all of it is written
does it write a journal listing the renames: that write is the commit point. Applying the
journal is a series of renames within each folder; if the process dies half-way, the next writer
finishes it (`recover`). A run that fails before the journal leaves nothing behind but staged
files, which are removed: the last published warehouse, drafts and records stay exactly as they were.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from smallcap.errors import SmallcapError

JOURNALS = ".releases"


class PublishError(SmallcapError):
    """A staged output cannot be put in place (something in the way); nothing was published."""


def fsync(path: Path) -> None:
    """Flush a file, or a folder's entries (so a rename survives a power cut), to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Release:
    """The outputs of one run, staged until `publish`; `discard` removes them."""

    def __init__(self, data_dir: Path, tag: str) -> None:
        self.folder = data_dir / JOURNALS
        self.tag = tag
        # Lists staged files, so a dead run's are found. Created with the first of them: a run that
        # stops before staging anything (a refused batch, a read-only folder) writes nothing here.
        self.intent = self.folder / f"{tag}.staging"
        self.renames: list[tuple[Path, Path]] = []
        self.last: list[tuple[Path, Path]] = []
        self.deletes: list[Path] = []
        self.committed = False

    def __enter__(self) -> Release:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is not None:
            self.discard()  # a step failed: nothing of this release is published

    def staged(self, target: Path, *, last: bool = False) -> Path:
        """The name to write what becomes `target` at publish; `last` ones are switched in after the rest."""
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.stem}.{self.tag}.staged{target.suffix}")
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.intent.open("a", encoding="utf-8") as handle:
            handle.write(f"{staged}\n")
        (self.last if last else self.renames).append((staged, target))
        return staged

    def staged_file(self, target: Path) -> Path:
        """The staged file that becomes `target` at publish: what this run will publish there."""
        for staged, planned in reversed(self.renames + self.last):
            if planned == target:
                return staged
        raise PublishError(f"nothing of this run is staged for {target}")

    def write_text(self, target: Path, text: str) -> None:
        self.staged(target).write_text(text, encoding="utf-8")

    def delete(self, target: Path) -> None:
        """Remove `target` at publish (a file this run makes stale)."""
        self.deletes.append(target)

    def publish(self) -> None:
        pairs = self.renames + self.last
        for staged, target in pairs:
            if not staged.is_file():
                raise PublishError(f"cannot publish {target}: its staged file {staged} is gone")
            if target.is_dir():
                raise PublishError(f"cannot publish {target}: a folder of that name is in the way")
            fsync(staged)
        journal = {"renames": [[str(s), str(t)] for s, t in pairs], "deletes": [str(d) for d in self.deletes]}
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.tag}.json"
        partial = path.with_name(f".{path.name}.tmp")
        partial.write_text(json.dumps(journal, indent=1), encoding="utf-8")
        fsync(partial)
        os.replace(partial, path)  # the commit point: from here on the release happens, now or on recovery
        self.committed = True
        fsync(self.folder)
        apply(path)

    def discard(self) -> None:
        if not self.committed:  # past the commit point, the journal finishes the release instead
            _remove_staged(self.intent)


def apply(journal: Path) -> None:
    """Put every staged file of a committed release in place; safe to repeat after a crash."""
    spec = json.loads(journal.read_text(encoding="utf-8"))
    folders: set[Path] = set()
    for staged, target in spec["renames"]:
        if Path(staged).exists():
            os.replace(staged, target)
        folders.add(Path(target).parent)
    for target in spec["deletes"]:
        Path(target).unlink(missing_ok=True)
    for folder in folders:
        fsync(folder)  # the renames survive a power cut before the journal goes
    journal.unlink()
    journal.with_suffix(".staging").unlink(missing_ok=True)


def _remove_staged(intent: Path) -> None:
    if intent.is_file():
        for line in intent.read_text(encoding="utf-8").splitlines():
            staged = Path(line)
            staged.unlink(missing_ok=True)
            staged.with_name(staged.name + ".wal").unlink(missing_ok=True)  # DuckDB's log, if it was building
    intent.unlink(missing_ok=True)


def recover(data_dir: Path) -> list[str]:
    """Finish releases that reached their commit point; remove what dead runs staged. Call holding the lock."""
    folder = data_dir / JOURNALS
    if not folder.is_dir():
        return []
    done = []
    for journal in sorted(folder.glob("*.json")):
        apply(journal)
        done.append(f"finished publishing {journal.stem}, interrupted after its commit point")
    for intent in sorted(folder.glob("*.staging")):
        _remove_staged(intent)
        done.append(f"removed the staged files of {intent.stem}, which stopped before publishing")
    return done
