"""A long CSV `date,index_code,close` (ISO dates) given by path."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from smallcap.errors import SourceError, UnreadableInput
from smallcap.sources.batch import from_long_text


def require_file(path: Path) -> None:
    if not path.is_file():
        raise SourceError(f"CSV file not found: {path}")
    try:
        path.open("rb").close()  # found is not readable: say so before any run starts
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SourceError(f"CSV file cannot be read: {path}: {reason}: give this user read access to it") from None


def read_long_csv(path: Path) -> pd.DataFrame:
    """Read the file as text; typing and checking are the gate's job."""
    require_file(path)
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise UnreadableInput(f"CSV file is empty: {path}") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0]
        raise UnreadableInput(f"CSV file is not a readable UTF-8 CSV: {path} ({first})") from None


class CsvSource:
    name = "csv"

    def __init__(self, path: Path) -> None:
        self.origin: Path | None = path
        self.path = path

    def extract(self, start: date, end: date) -> pd.DataFrame:
        return from_long_text(read_long_csv(self.path), self.name, start, end)

    def latest_date(self) -> date:
        dates = pd.to_datetime(read_long_csv(self.path).get("date"), format="%Y-%m-%d", errors="coerce")
        if dates is None or dates.isna().all():
            raise UnreadableInput(f"CSV file has no readable ISO dates in a 'date' column: {self.path}")
        return dates.max().date()
