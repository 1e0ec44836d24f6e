"""Errors a user sees as one line: each names what is wrong, never a traceback."""


class SmallcapError(Exception):
    """Base for failures the CLI reports as a single clear line."""


class SourceError(SmallcapError):
    """A source could not deliver a batch (unreadable file, unknown source, empty answer)."""
