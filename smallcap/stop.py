"""A stop asked for by a signal (Ctrl-C, SIGTERM), taken at the next safe point.

The command line installs `on_signal` for SIGINT and SIGTERM. The first signal raises `Interrupted`
at once, so a wait (a retry's delay, the writer lock, the freshness wait) ends; the flow's one
failure path (`flows.steps.writing`) turns it into a failed run with nothing published. Should a
library swallow it, the steps call `check()` between them and raise it again. A publish in progress
is never cut: `deferred()` only notes a signal until the release has been switched in.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A signal asked the run to stop. A BaseException, as KeyboardInterrupt is: no `except Exception`
    (nor a task's retry) takes it for a failure to retry or work around."""

    def __init__(self, name: str) -> None:
        super().__init__(f"interrupted ({name})")
        self.name = name


_asked: signal.Signals | None = None


def ask(signum: int) -> None:
    """Note a stop (the first signal is the one named)."""
    global _asked
    if _asked is None:
        _asked = signal.Signals(signum)


def asked() -> signal.Signals | None:
    return _asked


def reset() -> None:
    global _asked
    _asked = None


def exit_code() -> int:
    """The shell's code for a process a signal ended: 128 + its number (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + int(_asked) if _asked is not None else 1


def line() -> str:
    return f"interrupted ({_asked.name})" if _asked is not None else ""


def on_signal(signum: int, _frame: FrameType | None) -> None:
    first = _asked is None
    ask(signum)
    if first:  # a second Ctrl-C while the run stops changes nothing
        raise Interrupted(signal.Signals(signum).name)


def install() -> None:
    for sig in SIGNALS:
        signal.signal(sig, on_signal)


def check() -> None:
    """A safe point: stop here if a signal asked for it."""
    if _asked is not None:
        raise Interrupted(_asked.name)


@contextmanager
def deferred() -> Iterator[None]:
    """Within, a signal is only noted: what runs here (a publish past its commit point) completes.

    Outside the main thread signals cannot be handled and nothing changes."""
    try:
        previous = {sig: signal.signal(sig, lambda signum, _frame: ask(signum)) for sig in SIGNALS}
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
