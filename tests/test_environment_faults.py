"""Faults of the machine, not the data — a full disk, a read-only folder, a missing permission, an
unreadable input — each end in one plain line naming the path and the remedy (smallcap.errors.one_line)."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from smallcap.errors import SmallcapError, SourceError, one_line
from tests.conftest import SAMPLE, CompletedRun
from tests.helpers import digest

SPACE = "free space on that disk, or choose a data folder on another disk with --data-dir, then run again"
ACCESS = "give this user access to it (write for the data folder, read for an input file), or choose another data folder with --data-dir"  # noqa: E501
READ_ONLY = "choose a data folder on a writable disk with --data-dir"
# DuckDB's own words when the disk fills while a warehouse is checkpointed.
DUCKDB_FULL = (
    'FATAL Error: Failed to create checkpoint because of error: Could not write file "/d/.w.building": '
    "No space left on device"
)

CASES = {
    "disk full, with its path": (
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/d/lake/x.parquet"),
        f"No space left on device: /d/lake/x.parquet: {SPACE}",
    ),
    "disk full, no path: the data folder": (
        OSError(28, "No space left on device"),
        f"No space left on device: /d (the data folder): {SPACE}",
    ),
    "disk full, in DuckDB's words": (
        duckdb.FatalException(DUCKDB_FULL),
        f"No space left on device: /d/.w.building: {SPACE}",
    ),
    "disk full, pyarrow's words": (
        OSError(28, "Error writing bytes to file. Detail: [errno 28] No space left on device"),
        f"No space left on device: /d (the data folder): {SPACE}",
    ),
    "no permission on GX's results": (
        PermissionError(errno.EACCES, "Permission denied", "/d/gx/validations/daily_close/run"),
        f"Permission denied: /d/gx/validations/daily_close/run: {ACCESS}",
    ),
    "read-only disk": (
        OSError(errno.EROFS, "Read-only file system", "/d/.writer.lock"),
        f"Read-only file system: /d/.writer.lock: {READ_ONLY}",
    ),
    "DuckDB refused a file": (
        duckdb.IOException('IO Error: Cannot open file "/d/w.duckdb": Permission denied'),
        f"Permission denied: /d/w.duckdb: {ACCESS}",
    ),
    "our own error, as written": (
        SmallcapError("batch rejected by the quality gate (…)"),
        "batch rejected by the quality gate (…)",
    ),
    "anything else: type and first line": (KeyError("chart"), "KeyError: 'chart'"),
    "a missing file is not an environment fault": (
        FileNotFoundError(2, "No such file or directory", "/d/x"),
        "FileNotFoundError: [Errno 2] No such file or directory: '/d/x'",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_one_line_per_fault(case: str) -> None:
    exc, line = CASES[case]
    assert one_line(exc, Path("/d")) == line
    assert "\n" not in line


def test_an_unreadable_csv_is_refused_before_any_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from smallcap.sources import refuse_unusable

    csv = tmp_path / "closes.csv"
    shutil.copy(SAMPLE, csv)
    real_open = Path.open

    def denied(self: Path, *args: object, **kwargs: object):  # noqa: ANN202  (as chmod 000 would, even for root)
        if self == csv:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(SourceError) as refused:
        refuse_unusable("csv", csv)
    assert str(refused.value) == f"CSV file cannot be read: {csv}: Permission denied: give this user read access to it"


def test_a_quarantine_that_cannot_be_written_is_named_not_raised() -> None:
    from flows.steps import kept_in

    def keep() -> Path:
        raise PermissionError(errno.EACCES, "Permission denied", "/d/quarantine/run-1")

    assert kept_in(lambda: Path("/d/quarantine/run-1")) == "batch kept in /d/quarantine/run-1"
    assert kept_in(keep) == f"batch not kept: Permission denied: /d/quarantine/run-1: {ACCESS}"


def test_a_read_only_data_folder_still_shows_the_gates_reason(
    sample_week: CompletedRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder refuses every new folder in it (chmod a-w, which cannot stop root: injected at os.mkdir)."""
    from flows.weekly_report import weekly_report

    data = tmp_path / "data"
    shutil.copytree(sample_week.data_dir, data)
    bad = pd.read_csv(SAMPLE, dtype=str)
    bad.loc[5, "close"] = "-1.0"
    csv = tmp_path / "bad.csv"
    bad.to_csv(csv, index=False)
    published = digest(data / "warehouse.duckdb")
    real_mkdir = os.mkdir

    def read_only(path: str | os.PathLike[str], *args: object, **kwargs: object) -> None:
        if str(path).startswith(str(data)):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", read_only)
    state = weekly_report(source="csv", csv_path=str(csv), data_dir=str(data), return_state=True)
    monkeypatch.undo()

    assert state.is_failed()
    row = bad.iloc[5]
    reason, kept = state.message.split(" (batch not kept: ")
    assert reason == (
        "batch rejected by the quality gate (1 of 18 checks failed): close > 0: 1 row(s) fail, e.g. "
        f"index_code={row['index_code']} trade_date={row['date']} close=-1.0"
    )
    assert kept.startswith(f"Permission denied: {data / 'quarantine'}") and kept.endswith(f"{ACCESS})")
    assert digest(data / "warehouse.duckdb") == published
    assert not (data / "quarantine").exists()
