"""The gate at scale: above the row limit, GX validates every rule-breaking row and a sample, and
the verdict, the counts and the sample rows are those of GX on the whole batch."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from smallcap.quality import frames, rows
from smallcap.quality.gate import GateConfig, validate
from smallcap.sources.batch import from_long_text
from tests.conftest import YEAR

WEEK, TODAY = date(2025, 11, 21), date(2025, 11, 24)


def _bad_batch() -> pd.DataFrame:
    """The real year of closes with every kind of row fault, some many times over."""
    raw = pd.read_csv(YEAR, dtype=str)
    raw = raw[raw["index_code"].isin(["R2000G", "SPX", "DJIA"])]
    faults = pd.DataFrame(
        {
            "date": ["2025-03-03"] * 3 + ["2025-03-04", "bad", "2025-03-05", "2026-01-05", "2025-03-06"],
            "index_code": ["SPX", "SPX", "DJIA", "NDX", "SPX", "", "SPX", "R2000G"],
            "close": ["1", "2", "3", "4", "5", "6", "7", "-1"],
        }
    )
    raw = pd.concat([raw, faults, raw.iloc[:500]], ignore_index=True)  # 500 more duplicates
    return from_long_text(raw, "csv", date(2024, 1, 1), WEEK, today=TODAY)


def _findings(batch: pd.DataFrame) -> list[tuple]:
    # Sample rows fewer than the failing rows kept per rule below, as in production (20 of 1,000).
    report = validate(batch, WEEK, TODAY, config=GateConfig(sample_rows=5))
    return [(f.suite, f.expectation, f.success, f.unexpected_count, f.sample) for f in report.checks]


def test_the_sampled_row_suite_gives_the_whole_batchs_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    batch = _bad_batch()
    whole = _findings(batch)
    failed = {name for suite, name, ok, *_ in whole if suite == "daily_close" and not ok}
    assert len(failed) == 5  # duplicates, unknown codes, bad date, future date, close > 0
    monkeypatch.setattr("smallcap.quality.gate.ROW_LIMIT", 100)
    monkeypatch.setattr(rows, "KEEP_FAILING", 7)  # fewer than the 500 duplicates: counts must stay exact
    monkeypatch.setattr(rows, "SAMPLE", 50)
    seen = rows.rows_for_gx(batch, rows.violations(batch, TODAY, GateConfig().known_codes))
    assert len(seen) < len(batch) / 2
    assert _findings(batch) == whole


def test_session_coverage_names_each_missing_session_across_many_indices() -> None:
    sessions = pd.bdate_range("2025-11-03", "2025-11-21")  # no holidays in these three weeks
    codes = [f"S{i:03d}" for i in range(300)]
    batch = pd.DataFrame(
        [(c, d, 100.0) for c in codes for d in sessions if not (c == "S123" and d == pd.Timestamp("2025-11-12"))],
        columns=["index_code", "trade_date", "close"],
    ).astype({"trade_date": "datetime64[us]"})
    coverage = frames.session_coverage(batch, WEEK, codes)
    assert len(coverage) == len(codes) * len(sessions) and coverage["is_session"].all()
    missing = coverage[~coverage["in_batch"]]
    assert missing[["index_code", "trade_date"]].values.tolist() == [["S123", pd.Timestamp("2025-11-12")]]
