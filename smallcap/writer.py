"""One writer per data folder: weekly runs, backfills and repairs take this lock for their whole run.

The lock is an OS file lock (filelock), so it goes with the process that held it: a killed run
never leaves the folder locked. A second writer waits, saying so, up to a timeout, then fails.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from smallcap.errors import SmallcapError

LOCK = ".writer.lock"
OWNER = ".writer.owner.json"


class WriterBusy(SmallcapError):
    """Another run kept the data folder past the wait."""


def _holder(data_dir: Path) -> str:
    try:
        owner = json.loads((data_dir / OWNER).read_text(encoding="utf-8"))
        return f"{owner['what']}, pid {owner['pid']}, since {owner['since']}"
    except (OSError, ValueError, KeyError):
        return "another process"


@contextmanager
def exclusive(data_dir: Path, what: str, timeout: float, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the data folder's writer lock; `what` names this writer to anyone who waits for it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(data_dir / LOCK)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        say(f"waiting for the data folder {data_dir}: held by {_holder(data_dir)} (up to {timeout:.0f} s)")
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise WriterBusy(
                f"the data folder {data_dir} is still held by {_holder(data_dir)} after {timeout:.0f} s: "
                "try again when that run has finished"
            ) from None
    try:
        since = datetime.now(UTC).isoformat(timespec="seconds")
        (data_dir / OWNER).write_text(json.dumps({"what": what, "pid": os.getpid(), "since": since}), encoding="utf-8")
        yield
    finally:
        lock.release()
