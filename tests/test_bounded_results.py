"""A batch with a great many bad rows leaves small records: at most N rows per expectation, the count exact.

Real GX with its validation store and Data Docs on disk, real quarantine files; no Prefect.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from smallcap.quality import quarantine
from smallcap.quality.gate import DocsSite, GateConfig, GateReport, result_rows, validate
from tests.conftest import YEAR, read_closes
from tests.test_gate import TODAY, batch_from

WEEK = date(2025, 11, 21)
BAD = 100_000  # rows with a negative close, besides the year's real ones


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def rejected(tmp_path_factory: pytest.TempPathFactory) -> tuple[GateReport, Path, pd.DataFrame]:
    good = read_closes(YEAR)
    spx = good[good["index_code"] == "SPX"]
    copies = spx.sample(n=BAD, replace=True, random_state=17).assign(close=-1.0)  # real SPX days, close < 0
    batch = batch_from(pd.concat([good, copies], ignore_index=True), WEEK)
    data = tmp_path_factory.mktemp("bounded")
    site = DocsSite(data / "docs", data / "gx" / "validations", "weekly-bounded")
    report = validate(batch, WEEK, TODAY, config=GateConfig(sample_rows=20), docs=site)
    return report, data, batch


def test_the_count_is_exact_and_the_rows_are_bounded(rejected: tuple[GateReport, Path, pd.DataFrame]) -> None:
    report, _, batch = rejected
    negative = next(c for c in report.failures if c.expectation == "close > 0")
    assert negative.unexpected_count == BAD == int((batch["close"] <= 0).sum())
    assert len(negative.sample) == 20
    assert all(row["close"] == -1.0 and row["index_code"] == "SPX" for row in negative.sample)
    # Every expectation, whatever it found, keeps at most 20 rows.
    assert max(len(c.sample) for c in report.checks) <= 20
    assert report.reason().count("index_code=") <= 3 * len(report.failures)  # the line shows three per check


def test_what_is_written_stays_small(rejected: tuple[GateReport, Path, pd.DataFrame]) -> None:
    report, data, batch = rejected
    kept = quarantine.keep(batch, report.to_dict(), report.reason(), data / "quarantine", "weekly-bounded")
    # The batch itself is kept whole (several MB): the records about it are not.
    assert (kept / "batch.csv").stat().st_size > 2_000_000
    assert (kept / "validation.json").stat().st_size < 60_000
    assert _size(data / "gx" / "validations") < 300_000  # GX's own JSON of all six suites
    assert _size(data / "docs" / "validations") < 500_000  # this run's Data Docs pages (GX's static files aside)
    rows = result_rows(report)
    assert sum(len(r["sample"]) for r in rows) < 60_000
    counts = {r["expectation"]: r["unexpected_count"] for r in rows}
    assert counts["close > 0"] == BAD
    assert all(len(json.loads(r["sample"])) <= 20 for r in rows)
    on_disk = json.loads((kept / "validation.json").read_text(encoding="utf-8"))
    assert {c["expectation"]: c["unexpected_count"] for c in on_disk["checks"]}["close > 0"] == BAD
