"""Errors a user sees as one line: each names what is wrong, never a traceback."""


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
