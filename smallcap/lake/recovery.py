"""What a writer does first: finish or drop what a dead run left in the data folder."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from smallcap import publish
from smallcap.lake import commits


def recover(data_dir: Path, lake: Path, quarantine_dir: Path) -> list[str]:
    """Finish or drop what a dead run left, adopt a lake older than the commit log, set aside uncommitted files.

    Call holding the writer lock; returns a line for each thing done, for the run's log.
    """
    notes = publish.recover(data_dir)
    log = commits.read_log(lake)
    stray = commits.uncommitted(lake, log)
    if stray and not log:
        for group in commits.adoption_order(stray):
            commits.commit_now(lake, group, "adopted", "lake written before the commit log")
        notes.append(f"adopted {len(stray)} lake file(s) written before the commit log, in landing order")
    elif stray:
        kept = quarantine_dir / f"uncommitted-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
        for path in stray:
            target = kept / path.relative_to(lake)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
        (kept / "reason.txt").write_text(
            "landed by a run that did not commit (killed, or failed after landing): never part of the truth\n",
            encoding="utf-8",
        )
        notes.append(f"set aside {len(stray)} lake file(s) no commit lists (a run stopped after landing) in {kept}")
    return notes
