"""The gate's run-dependent bounds. Their defaults live once, in Settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smallcap.indices import INDEX_CODES
from smallcap.settings import Settings


def _default(name: str) -> float:
    # Read from the field declaration, not from Settings(): no environment is consulted here.
    return Settings.model_fields[name].default


@dataclass(frozen=True)
class GateConfig:
    """The bounds of the daily_move and revisions suites, and how many rows a result keeps (see Settings)."""

    move_warning: float = _default("move_warning")  # a move beyond this is large but plausible: reported
    move_error: float = _default("move_error")  # beyond this it is not a market move but a data error
    revision_tolerance: float = _default("revision_tolerance")  # relative change of an already published close
    allow_revisions: bool = False
    known_codes: Sequence[str] = INDEX_CODES  # the universe's indices: the only codes a batch may hold
    sample_rows: int = int(_default("validation_sample_rows"))  # unexpected rows kept per expectation

    @classmethod
    def from_settings(cls, settings: Settings, *, allow_revisions: bool = False) -> GateConfig:
        """The bounds a run's settings give (environment variables included)."""
        from smallcap.universe import read

        return cls(
            known_codes=read(settings.universe).codes,
            move_warning=settings.move_warning,
            move_error=settings.move_error,
            revision_tolerance=settings.revision_tolerance,
            allow_revisions=allow_revisions,
            sample_rows=settings.validation_sample_rows,
        )
