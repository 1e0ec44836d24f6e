"""Whole weekly runs on a real Prefect test server, with real GX, Parquet and DuckDB."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from prefect.exceptions import FailedRun

from flows.weekly_report import weekly_report
from tests import independent
from tests.conftest import YEAR, read_closes

pytestmark = pytest.mark.usefixtures("prefect_server")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_run_on_the_bundled_sample(tmp_path: Path) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    out = weekly_report(data_dir=str(tmp_path))
    assert out["week_ending"] == "2025-12-12"  # the sample's last complete week
    draft = Path(out["draft"])
    assert draft == tmp_path / "reports" / "2025-12-12" / "comment.ja.md"
    assert Path(out["chart"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(list((tmp_path / "lake" / "daily_close").rglob("*.parquet"))) == 3
    text = draft.read_text(encoding="utf-8")

    # Every figure in the draft, recomputed from the shipped sample with pandas.
    sample = pd.read_csv(
        Path(__file__).parents[1] / "smallcap" / "sample_data" / "index_closes.csv", parse_dates=["date"]
    )
    weekly = independent.weekly_close(sample[sample["date"] <= "2025-12-12"])
    rs = independent.relative_strength(weekly).iloc[-1]
    week = weekly[weekly["week_ending"] == date(2025, 12, 12)].set_index("index_code")
    r = week.loc["R2000G"]
    assert f"は、{r['close']:.2f}で終わりました" in text
    assert f"{r['change']:+.2f}({r['return_1w'] * 100:+.2f}%)" in text
    assert f"NYダウ(前週末比{week.loc['DJIA', 'return_1w'] * 100:+.2f}%)" in text
    assert f"SP500(前週末比{week.loc['SPX', 'return_1w'] * 100:+.2f}%)" in text
    assert f"{rs['numerator_close']:.2f}/{rs['denominator_close']:.2f}={rs['ratio'] * 100:.2f}%" in text
    assert f"乖離は{rs['deviation_26w'] * 100:+.2f}%でした" in text

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["weekly-comment-ja", "weekly-figures"]))
        )
    kinds = {a.key: a for a in artifacts}
    assert set(kinds) == {"weekly-comment-ja", "weekly-figures"}
    assert "1696.41で終わりました" in kinds["weekly-comment-ja"].data


def test_csv_run_marts_equal_independent_calculation(tmp_path: Path, year_csv: Path) -> None:
    out = weekly_report(source="csv", csv_path=str(year_csv), week_ending=date(2025, 11, 21), data_dir=str(tmp_path))
    with duckdb.connect(out["warehouse"], read_only=True) as con:
        weekly = con.sql("select * from marts.weekly_close order by index_code, week_ending").df()
        rs = con.sql("select * from marts.relative_strength order by week_ending").df()
    expected = independent.weekly_close(read_closes(YEAR))
    assert len(weekly) == len(expected)
    pd.testing.assert_series_equal(weekly["close"], expected["close"], check_names=False)
    pd.testing.assert_series_equal(weekly["return_1w"], expected["return_1w"], check_names=False, rtol=1e-12)
    expected_rs = independent.relative_strength(expected)
    pd.testing.assert_series_equal(rs["deviation_26w"], expected_rs["deviation_26w"], check_names=False, rtol=1e-12)


def test_same_week_twice_gives_identical_marts_and_one_lake_copy(tmp_path: Path, year_csv: Path) -> None:
    args = {"source": "csv", "csv_path": str(year_csv), "week_ending": date(2025, 11, 21), "data_dir": str(tmp_path)}
    first = weekly_report(**args)
    with duckdb.connect(first["warehouse"], read_only=True) as con:
        before = con.sql("select * from marts.relative_strength").fetchall()
    weekly_report(**args)
    with duckdb.connect(first["warehouse"], read_only=True) as con:
        assert con.sql("select * from marts.relative_strength").fetchall() == before
    assert len(list((tmp_path / "lake" / "daily_close").rglob("*.parquet"))) == 3


def _write_bad(tmp_path: Path, mutate) -> Path:  # noqa: ANN001
    text = read_closes(YEAR).assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d")).astype(str)
    path = tmp_path / "bad.csv"
    mutate(text).to_csv(path, index=False)
    return path


def _set(frame: pd.DataFrame, code: str, day: str, column: str, value: str) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[(frame["index_code"] == code) & (frame["date"] == day), column] = value
    return frame


BAD_CSVS = {
    "negative close": (lambda f: _set(f, "SPX", "2025-11-21", "close", "-6602.99"), "close > 0: 1 row(s)"),
    "empty close": (lambda f: _set(f, "DJIA", "2025-11-20", "close", ""), "close is a number: 1 row(s)"),
    "duplicate day": (lambda f: pd.concat([f, f.iloc[[5]]]), "one row per (index_code, trade_date): 2 row(s)"),
    "missing index": (lambda f: f[f["index_code"] != "R2000G"], "all of R2000G,SPX,DJIA present"),
    "non-date": (lambda f: _set(f, "SPX", "2025-11-20", "date", "20/11/2025"), "trade_date is an ISO date: 1 row(s)"),
}


@pytest.mark.parametrize("case", sorted(BAD_CSVS))
def test_bad_csv_fails_clearly_and_keeps_the_last_good_warehouse(tmp_path: Path, year_csv: Path, case: str) -> None:
    weekly_report(source="csv", csv_path=str(year_csv), week_ending=date(2025, 11, 21), data_dir=str(tmp_path))
    warehouse = tmp_path / "warehouse.duckdb"
    before, lake_before = _digest(warehouse), sorted((tmp_path / "lake" / "daily_close").rglob("*"))

    mutate, expected = BAD_CSVS[case]
    bad = _write_bad(tmp_path, mutate)
    state = weekly_report(
        source="csv", csv_path=str(bad), week_ending=date(2025, 11, 21), data_dir=str(tmp_path), return_state=True
    )
    assert state.is_failed()
    assert expected in state.message and "\n" not in state.message
    with pytest.raises(FailedRun, match="batch rejected by the quality gate"):
        state.result()

    assert _digest(warehouse) == before
    assert sorted((tmp_path / "lake" / "daily_close").rglob("*")) == lake_before
    (kept,) = (tmp_path / "quarantine").iterdir()
    assert (kept / "input-bad.csv").read_bytes() == bad.read_bytes()
    assert expected in (kept / "reason.txt").read_text(encoding="utf-8")
    assert len(pd.read_csv(kept / "batch.csv")) > 0


def test_missing_csv_file_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(Exception, match=r"CSV file not found: .*nope\.csv"):
        weekly_report(
            source="csv", csv_path=str(tmp_path / "nope.csv"), week_ending=date(2025, 11, 21), data_dir=str(tmp_path)
        )


def test_run_records_reach_the_warehouse(tmp_path: Path, year_csv: Path) -> None:
    args = {"source": "csv", "week_ending": date(2025, 11, 21), "data_dir": str(tmp_path)}
    bad = _write_bad(tmp_path, BAD_CSVS["negative close"][0])
    assert weekly_report(csv_path=str(bad), **args, return_state=True).is_failed()
    out = weekly_report(csv_path=str(year_csv), **args)
    with duckdb.connect(out["warehouse"], read_only=True) as con:
        runs = con.sql(
            "select run_name, source, rows, gate_status, outputs from meta.pipeline_runs order by started_at"
        ).df()
        checks = con.sql("select batch_id, expectation, success, unexpected_count from meta.validation_results").df()
    assert runs["gate_status"].tolist() == ["failed", "passed"]
    assert runs["run_name"].unique().tolist() == ["weekly-2025-11-21"]
    assert runs["rows"].tolist() == [756, 756]
    assert "close > 0: 1 row(s)" in runs["outputs"][0] and out["draft"] in runs["outputs"][1]
    assert len(checks) == 24 and checks["batch_id"].nunique() == 2
    failed = checks[~checks["success"]]
    assert failed[["expectation", "unexpected_count"]].values.tolist() == [["close > 0", 1]]
