"""`smallcap lake repair`: damaged or missing committed files taken out of the truth by a repair commit.

The files are moved to lake/damaged/ (nothing is deleted). The truth then falls back to what
earlier commits held for those days, or to nothing, until a run extracts the closes again.
"""

from __future__ import annotations

from pathlib import Path

from smallcap.lake import commits


def repair(lake_dir: Path) -> list[str]:
    """Retract every damaged committed file; returns what was done, a line each."""
    log = commits.read_log(lake_dir)
    found = commits.problems(lake_dir, commits.live_files(log))
    if not found:
        return [f"nothing to repair: the {len(commits.live_files(log))} committed file(s) match their checksums"]
    commits.move_aside(lake_dir, found)
    listed = {f.path: f for c in log for f in c.files}
    commit = commits.new_commit(
        log, "repair", "", "lake repair", retracted=tuple(p.path for p in found), note="damaged or missing files"
    )
    commits.append(lake_dir, commit)
    lines = [p.line() for p in found]
    for p in found:
        entry = listed[p.path]
        days = f"{entry.first_date} to {entry.last_date}" if entry.first_date else "its days"
        lines.append(
            f"to restore {p.path}: extract {days} again (`smallcap run --week-ending {entry.last_date or 'DATE'}`"
            f" or `smallcap backfill --start {entry.first_date or 'DATE'} --end {entry.last_date or 'DATE'}`)"
        )
    lines.append(
        f"commit {commit.seq}: took {len(found)} file(s) out of the lake's truth; the next run rebuilds the warehouse"
    )
    return lines
