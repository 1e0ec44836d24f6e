"""Sources of daily closes. Each returns a batch (see smallcap.batch) for a date window."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Protocol

import pandas as pd

from smallcap.errors import SourceError


class Source(Protocol):
    name: str
    # A file the batch was read from, kept beside a quarantined batch; None for network sources.
    origin: Path | None

    def extract(self, start: date, end: date) -> pd.DataFrame: ...

    def latest_date(self) -> date:
        """The newest date the source can deliver: the default week is the last complete one."""
        ...


def get_source(name: str, csv_path: Path | None = None) -> Source:
    from smallcap.sources.csv_file import CsvSource
    from smallcap.sources.sample import SampleSource

    if name == "sample":
        return SampleSource()
    if name == "csv":
        if csv_path is None:
            raise SourceError("source 'csv' needs a file: pass --csv PATH")
        return CsvSource(Path(csv_path))
    raise SourceError(f"unknown source {name!r}: choose sample or csv")
