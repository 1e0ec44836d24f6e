"""Sources of daily closes. Each returns a batch (see smallcap.sources.batch) for a date window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Protocol

import pandas as pd

from smallcap.errors import SourceError
from smallcap.settings import CHECK_SOURCES

__all__ = ["CHECK_SOURCES", "Source", "carried_by", "get_source", "refuse_unusable"]


class Source(Protocol):
    name: str
    # A file the batch was read from, kept beside a quarantined batch; None for network sources.
    origin: Path | None

    def extract(self, start: date, end: date) -> pd.DataFrame: ...

    def latest_date(self) -> date:
        """The newest date the source can deliver: the default week is the last complete one."""
        ...


def get_source(
    name: str, csv_path: Path | None = None, codes: Sequence[str] | None = None, *, fred_api_key: str | None = None
) -> Source:
    """The named source; `codes` limits a live source to some indices (default: all the universe's).

    `fred_api_key`: a FRED API key found by the caller (e.g. in a Prefect Secret block); without it
    FRED uses SMALLCAP_FRED_API_KEY, else its keyless CSV download.
    """
    from smallcap.sources.csv_file import CsvSource
    from smallcap.sources.sample import SampleSource

    if name == "yahoo":
        from smallcap.sources.yahoo import YahooSource

        return YahooSource(codes)
    if name == "fred":
        from smallcap.sources.fred import FredSource

        return FredSource(codes, api_key=fred_api_key)
    if name == "sample":
        return SampleSource()
    if name == "csv":
        if csv_path is None:
            raise SourceError("source 'csv' needs a file: pass --csv PATH")
        return CsvSource(Path(csv_path))
    raise SourceError(f"unknown source {name!r}: choose yahoo, fred, sample or csv")


def refuse_unusable(name: str, csv_path: Path | None) -> None:
    """What no run of `name` could get past, found before one starts: FRED as the primary source (it has
    no R2000G: a cross-check source only) or a CSV file that is not there. Raises SourceError naming it."""
    if name == "fred":
        get_source(name)  # refuses the universe's indices, naming one FRED lacks
    if name == "csv" and csv_path is not None:
        from smallcap.sources.csv_file import require_file

        require_file(Path(csv_path))


def carried_by(name: str) -> tuple[str, ...]:
    """The index codes a source can deliver."""
    from smallcap.universe import current

    universe = current()
    if name in ("fred", "yahoo"):
        return tuple(universe.symbols(name))
    return universe.codes
