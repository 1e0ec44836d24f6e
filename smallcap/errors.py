"""Errors a user sees as one line: each names what is wrong, never a traceback."""

from __future__ import annotations

import errno
import os
import re


class SmallcapError(Exception):
    """Base for failures the CLI reports as a single clear line."""


class SettingsError(SmallcapError):
    """A setting (environment variable or command-line override) is invalid, e.g. an unknown source."""


class SourceError(SmallcapError):
    """A source could not deliver a batch (unreadable file, unknown source, empty answer)."""


class TransientSourceError(SourceError):
    """A source failed in a way that may pass: timeout, HTTP 429/5xx, an empty or partial answer. Retried."""


class NotYetPublished(SmallcapError):
    """The source does not have the week's last session yet, even after waiting."""


class UnreadableInput(SourceError):
    """The input file exists but cannot be read as a table (empty, not UTF-8, not CSV).

    Unlike a missing file, there is something to keep: the run puts the file in quarantine.
    """


# --- Faults of the machine, not of the data: one line naming the path and what to do ---------------

_REMEDY = {
    errno.ENOSPC: "free space on that disk, or choose a data folder on another disk with --data-dir, then run again",
    errno.EDQUOT: "free space within your quota, or choose a data folder on another disk with --data-dir",
    errno.EACCES: "give this user access to it (write for the data folder, read for an input file), "
    "or choose another data folder with --data-dir",
    errno.EROFS: "choose a data folder on a writable disk with --data-dir",
}
_REMEDY[errno.EPERM] = _REMEDY[errno.EACCES]
# Libraries that report these faults in their own words (DuckDB: "No space left on device") name them
# by the C library's text: read back to the errno.
_BY_TEXT = {os.strerror(code): code for code in _REMEDY}
_QUOTED_PATH = re.compile(r"""["'](/[^"']+)["']""")


def one_line(exc: BaseException, data_dir: object = None) -> str:
    """The line a person reads for a failure: a SmallcapError as written; a full disk, a missing
    permission or a read-only disk named with the path (else the data folder) and the remedy, from an
    OSError or from DuckDB's message; anything else as its type and the first line of its message."""
    if isinstance(exc, SmallcapError):
        return str(exc)
    text = str(exc)
    code, path = None, None
    if isinstance(exc, OSError) and exc.errno in _REMEDY:
        code, path = exc.errno, exc.filename
    else:
        code = next((c for words, c in _BY_TEXT.items() if words in text), None)
        found = _QUOTED_PATH.search(text)
        path = found.group(1) if found else None
    if code is not None:
        where = f": {path}" if path else (f": {data_dir} (the data folder)" if data_dir else "")
        return f"{os.strerror(code)}{where}: {_REMEDY[code]}"
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}"
