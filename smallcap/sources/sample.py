"""Real daily closes shipped inside the package (Yahoo Finance, every NYSE session 2024-11-14 to 2026-02-13).

Its last complete week is the seed comment's own (2026-02-13), so the default run reproduces it."""

from __future__ import annotations

from datetime import date
from importlib.resources import as_file, files
from pathlib import Path

import pandas as pd

from smallcap.sources.batch import from_long_text
from smallcap.sources.csv_file import read_long_csv

SAMPLE_FILE = files("smallcap.sources") / "sample_data" / "index_closes.csv"


class SampleSource:
    name = "sample"
    origin: Path | None = None

    def _read(self) -> pd.DataFrame:
        with as_file(SAMPLE_FILE) as path:
            return read_long_csv(Path(path))

    def extract(self, start: date, end: date) -> pd.DataFrame:
        return from_long_text(self._read(), self.name, start, end)

    def latest_date(self) -> date:
        return pd.to_datetime(self._read()["date"]).max().date()
