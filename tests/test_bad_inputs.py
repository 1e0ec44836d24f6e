"""Bad input files through the real weekly flow (Prefect test server, GX, Parquet, DuckDB).

Every case starts from the same published warehouse (a good run of the real one-year sample) and
feeds the flow one bad CSV. A bad file must end in a failed run whose one-line message names the
expectation, with the file and the verdict in quarantine, the failed expectation on the run's
Data Docs page, and the marts and the lake exactly as before. Files that are fine (unsorted, a
UTF-8 byte-order mark) or only worth a warning (a 20 % move) must pass.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from flows.weekly_report import weekly_report
from tests.conftest import YEAR

pytestmark = pytest.mark.usefixtures("prefect_server")

WEEK = date(2025, 11, 21)
THREE = ["R2000G", "SPX", "DJIA"]


def _text() -> pd.DataFrame:
    """The real sample as the text a user's file holds: date,index_code,close,source_symbol."""
    frame = pd.read_csv(YEAR, dtype=str, keep_default_na=False)
    return frame[frame["index_code"].isin(THREE)].reset_index(drop=True)


def _at(frame: pd.DataFrame, code: str, day: str) -> pd.Series:
    return (frame["index_code"] == code) & (frame["date"] == day)


def _set(code: str, day: str, column: str, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def mutate(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        assert _at(frame, code, day).sum() == 1
        frame.loc[_at(frame, code, day), column] = value
        return frame

    return mutate


def _add_row(code: str, day: str, close: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def mutate(frame: pd.DataFrame) -> pd.DataFrame:
        symbol = frame.loc[frame["index_code"] == code, "source_symbol"].iloc[0]
        row = pd.DataFrame([{"date": day, "index_code": code, "close": close, "source_symbol": symbol}])
        return pd.concat([frame, row], ignore_index=True)

    return mutate


def _drop(condition: Callable[[pd.DataFrame], pd.Series]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda frame: frame[~condition(frame)]


def _move(code: str, day: str, prev_day: str, factor: float) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def mutate(frame: pd.DataFrame) -> pd.DataFrame:
        prev = float(frame.loc[_at(frame, code, prev_day), "close"].iloc[0])
        return _set(code, day, "close", f"{prev * factor:.2f}")(frame)

    return mutate


def _us_dates(frame: pd.DataFrame) -> pd.DataFrame:
    # Half the rows as a spreadsheet might re-save them: 11/20/2025 instead of 2025-11-20.
    frame = frame.copy()
    odd = frame.index % 2 == 1
    frame.loc[odd, "date"] = pd.to_datetime(frame.loc[odd, "date"]).dt.strftime("%m/%d/%Y")
    return frame


def _csv(mutate: Callable[[pd.DataFrame], pd.DataFrame], **to_csv) -> Callable[[Path], None]:
    return lambda path: mutate(_text()).to_csv(path, index=False, **to_csv)


def _raw(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


# name -> (how to write the file, text the one-line failure must contain)
BAD: dict[str, tuple[Callable[[Path], None], str]] = {
    "negative close": (_csv(_set("SPX", "2025-11-21", "close", "-6602.99")), "close > 0: 1 row(s) fail"),
    "zero close": (_csv(_set("R2000G", "2025-06-02", "close", "0")), "close > 0: 1 row(s) fail"),
    "NaN close": (_csv(_set("DJIA", "2025-03-03", "close", "NaN")), "close is a number: 1 row(s) fail"),
    "empty close": (_csv(_set("DJIA", "2025-11-20", "close", "")), "close is a number: 1 row(s) fail"),
    "text close": (_csv(_set("SPX", "2025-05-01", "close", "n/a")), "close is a number: 1 row(s) fail"),
    "thousands separator": (_csv(_set("DJIA", "2025-05-01", "close", "41,317.43")), "close is a number: 1 row(s)"),
    "missing close column": (_csv(lambda f: f.drop(columns=["close"])), "'missing': ['close']"),
    "extra column": (_csv(lambda f: f.assign(volume="0")), "'unexpected': ['volume']"),
    "renamed column": (_csv(lambda f: f.rename(columns={"close": "Close"})), "'missing': ['close']"),
    "semicolon separated": (_csv(lambda f: f, sep=";"), "columns are exactly"),
    "duplicated day": (
        _csv(lambda f: pd.concat([f, f[_at(f, "SPX", "2025-08-01")]])),
        "one row per (index_code, trade_date): 2 row(s) fail",
    ),
    "duplicated day, two closes": (
        _csv(_add_row("R2000G", "2025-08-01", "1400.00")),
        "one row per (index_code, trade_date): 2 row(s) fail",
    ),
    "missing session": (
        _csv(_drop(lambda f: _at(f, "SPX", "2025-06-10"))),
        "every NYSE session present for every index (from its first date to 2025-11-21): 1 row(s) fail, "
        "e.g. index_code=SPX trade_date=2025-06-10",
    ),
    "weekend date": (
        _csv(_add_row("DJIA", "2025-11-15", "47147.48")),
        "every trade_date is an NYSE session (no weekend or holiday): 1 row(s) fail, "
        "e.g. index_code=DJIA trade_date=2025-11-15",
    ),
    "holiday date": (
        _csv(_add_row("SPX", "2025-04-18", "5282.70")),
        "every trade_date is an NYSE session (no weekend or holiday): 1 row(s) fail, "
        "e.g. index_code=SPX trade_date=2025-04-18",
    ),
    "future date": (_csv(_add_row("SPX", "2099-01-02", "6602.99")), "trade_date not in the future (after "),
    "one index short": (
        _csv(_drop(lambda f: _at(f, "R2000G", "2025-11-21"))),
        "every index ends on the same date: failed",
    ),
    "stale batch": (
        _csv(_drop(lambda f: f["date"] > "2025-11-14")),
        "every index ends on the week's last session 2025-11-21",
    ),
    "40 % jump": (
        _csv(_move("R2000G", "2025-11-21", "2025-11-20", 1.4)),
        "daily move within ±25% (beyond is a data error): 1 row(s) fail, e.g. index_code=R2000G trade_date=2025-11-21",
    ),
    "wrong index code": (
        _csv(lambda f: f.replace({"index_code": {"R2000G": "RUT"}})),
        "index_code is one of R2000G,SPX,DJIA: 252 row(s) fail",
    ),
    "lower-case code": (_csv(_set("SPX", "2025-09-02", "index_code", "spx")), "index_code is one of R2000G,SPX,DJIA"),
    "blank index code": (_csv(_set("DJIA", "2025-09-03", "index_code", "")), "index_code is not null: 1 row(s) fail"),
    "missing index": (_csv(_drop(lambda f: f["index_code"] == "DJIA")), "all of R2000G,SPX,DJIA present"),
    "empty file": (_raw(b""), "file is a readable UTF-8 CSV: failed (error=CSV file is empty"),
    "header only": (_raw(b"date,index_code,close,source_symbol\n"), "batch has rows: failed"),
    "UTF-16 file": (_csv(lambda f: f, encoding="utf-16"), "file is a readable UTF-8 CSV: failed"),
    "binary file": (_raw(bytes(range(256)) * 4), "file is a readable UTF-8 CSV: failed"),
    "revised close": (
        _csv(_set("DJIA", "2025-11-14", "close", "47200.00")),
        "closes already in the warehouse unchanged (within 0.0001%): 1 row(s) fail, "
        "e.g. index_code=DJIA trade_date=2025-11-14 published_close=47147.48 close=47200.0",
    ),
    "mixed date formats": (_csv(_us_dates), "trade_date is an ISO date: 378 row(s) fail"),
    "date with a time": (
        _csv(_set("SPX", "2025-11-20", "date", "2025-11-20T16:00:00")),
        "trade_date is an ISO date: 1 row(s) fail",
    ),
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _lake(data: Path) -> dict[str, str]:
    return {str(p.relative_to(data)): _digest(p) for p in sorted((data / "lake" / "daily_close").rglob("*.parquet"))}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder every case starts from: last week's good run of the real sample.

    Each case is then this week's file (the whole sample through 2025-11-21), as on a Friday.
    """
    root = tmp_path_factory.mktemp("published")
    good = root / "good.csv"
    text = _text()
    text[text["date"] <= "2025-11-14"].to_csv(good, index=False)
    weekly_report(source="csv", csv_path=str(good), week_ending=date(2025, 11, 14), data_dir=str(root / "data"))
    return root / "data"


def _run(data: Path, csv: Path, **kwargs):  # noqa: ANN202
    return weekly_report(
        source="csv", csv_path=str(csv), week_ending=WEEK, data_dir=str(data), return_state=True, **kwargs
    )


def test_the_matrix_is_at_least_25_cases() -> None:
    assert len(BAD) >= 25


@pytest.mark.parametrize("case", list(BAD))
def test_bad_file_is_rejected_and_quarantined(published: Path, tmp_path: Path, case: str) -> None:
    data = tmp_path / "data"
    shutil.copytree(published, data)
    warehouse_before, lake_before = _digest(data / "warehouse.duckdb"), _lake(data)
    write, expected = BAD[case]
    bad = tmp_path / "bad.csv"
    write(bad)
    original = bad.read_bytes()

    state = _run(data, bad)

    assert state.is_failed()
    message = state.message
    assert "\n" not in message and message.startswith("batch rejected by the quality gate"), message
    assert expected in message, message
    # Nothing lost, nothing loaded: marts byte-for-byte as before, no new lake file, input untouched.
    assert _digest(data / "warehouse.duckdb") == warehouse_before
    assert _lake(data) == lake_before
    assert bad.read_bytes() == original
    # The batch in quarantine with the file and the verdict; the run's message names the folder.
    (kept,) = (data / "quarantine").iterdir()
    assert f"kept in {kept}" in message
    assert (kept / "input-bad.csv").read_bytes() == original
    assert expected in (kept / "reason.txt").read_text(encoding="utf-8")
    verdict = json.loads((kept / "validation.json").read_text(encoding="utf-8"))
    assert verdict["success"] is False
    failed = [c for c in verdict["checks"] if not c["success"] and c["severity"] == "error"]
    assert failed and all(c["expectation"] in message for c in failed)
    if failed[0]["suite"] != "input":  # a parsed batch: kept as parsed, and its Data Docs page shows the failure
        assert (kept / "batch.csv").is_file()
        for check in failed:
            page = Path(verdict["docs"][check["suite"]])
            assert page.is_relative_to(data / "docs")
            assert check["expectation"] in html.unescape(page.read_text(encoding="utf-8"))


# ---- files that are fine, or only worth a warning, pass through the same flow


def _daily_close(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql("select * from marts.daily_close order by index_code, trade_date").df()


def _checks(warehouse: Path, flow_run_id: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select suite, expectation, severity, success, unexpected_count, sample from meta.validation_results "
            "where flow_run_id = ?",
            [flow_run_id],
        ).df()


@pytest.mark.parametrize(
    ("case", "write"),
    [
        # Row order in a CSV carries no meaning: the gate checks content, the warehouse sorts.
        ("unsorted rows", _csv(lambda f: f.sample(frac=1, random_state=3))),
        # Excel's "CSV UTF-8" starts with a byte-order mark; it is still UTF-8.
        ("UTF-8 byte-order mark", _csv(lambda f: f, encoding="utf-8-sig")),
    ],
)
def test_acceptable_file_passes_without_alarm(published: Path, tmp_path: Path, case: str, write) -> None:  # noqa: ANN001
    data = tmp_path / "data"
    shutil.copytree(published, data)
    path = tmp_path / "closes.csv"
    write(path)
    state = _run(data, path)
    assert state.is_completed(), state.message
    assert not (data / "quarantine").exists()
    # The marts hold exactly the file's closes, in order.
    expected = _text().astype({"close": "float64"}).sort_values(["index_code", "date"])
    marts = _daily_close(data / "warehouse.duckdb")
    assert marts["index_code"].tolist() == expected["index_code"].tolist()
    assert marts["trade_date"].dt.strftime("%Y-%m-%d").tolist() == expected["date"].tolist()
    assert marts["close"].tolist() == expected["close"].tolist()
    checks = _checks(data / "warehouse.duckdb", str(state.state_details.flow_run_id))
    assert len(checks) == 17 and checks["success"].all()


def test_large_plausible_move_warns_and_passes(
    published: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    data = tmp_path / "data"
    shutil.copytree(published, data)
    path = tmp_path / "closes.csv"
    _csv(_move("R2000G", "2025-11-21", "2025-11-20", 1.2))(path)  # 1534.25 -> 1841.10, +20 %
    state = _run(data, path)
    assert state.is_completed(), state.message
    run_id = str(state.state_details.flow_run_id)
    assert (
        "gate warning (batch passes): daily move within ±15%: 1 row(s) fail, e.g. index_code=R2000G "
        "trade_date=2025-11-21 prev_close=1534.25 close=1841.1 move_pct=20.0"
    ) in caplog.text

    # Recorded: the warning with its row, beside 16 passed checks.
    checks = _checks(data / "warehouse.duckdb", run_id)
    warned = checks[~checks["success"]]
    assert warned[["expectation", "severity", "unexpected_count"]].values.tolist() == [
        ["daily move within ±15%", "warning", 1]
    ]
    sample = json.loads(warned["sample"].iloc[0])
    assert sample == [
        {
            "index_code": "R2000G",
            "trade_date": "2025-11-21",
            "prev_close": 1534.25,
            "close": 1841.1,
            "move_pct": 20.0,
        }
    ]
    # Loaded: the batch passed, so its close is what the marts now say.
    marts = _daily_close(data / "warehouse.duckdb").set_index(["index_code", "trade_date"])
    assert marts.loc[("R2000G", pd.Timestamp("2025-11-21")), "close"] == 1841.10

    # Reported in the run's gate artifact (read back from the Prefect API).
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["quality-gate"]), flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])
            )
        )
    rows = json.loads(artifact.data)
    assert len(rows) == 17
    by_name = {r["expectation"]: r for r in rows}
    assert by_name["daily move within ±15%"] == {
        "expectation": "daily move within ±15%",
        "suite": "daily_move",
        "severity": "warning",
        "success": False,
        "status": "warned",
        "unexpected_count": 1,
    }
    assert sum(r["status"] == "passed" for r in rows) == 16
    assert artifact.description.startswith("Quality gate passed batch ")
    assert "16 passed, 0 failed, 1 warned of 17 checks" in artifact.description


def test_rejected_run_has_a_gate_artifact_naming_the_failure(published: Path, tmp_path: Path) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    data = tmp_path / "data"
    shutil.copytree(published, data)
    bad = tmp_path / "bad.csv"
    BAD["negative close"][0](bad)
    state = _run(data, bad)
    assert state.is_failed()
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["quality-gate"]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[str(state.state_details.flow_run_id)]),
            )
        )
    rows = json.loads(artifact.data)
    failed = [(r["expectation"], r["severity"], r["unexpected_count"]) for r in rows if r["status"] == "failed"]
    assert failed == [("close > 0", "error", 1)]
    assert "Quality gate rejected batch" in artifact.description
    assert "16 passed, 1 failed, 0 warned of 17 checks" in artifact.description


def test_revision_allowed_by_the_run_is_loaded_and_recorded(published: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(published, data)
    path = tmp_path / "revised.csv"
    BAD["revised close"][0](path)
    state = _run(data, path, allow_revisions=True)
    assert state.is_completed(), state.message
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        revisions = con.sql(
            "select index_code, trade_date, published_close, close, accepted from meta.revisions"
        ).fetchall()
        [(close,)] = con.sql(
            "select close from marts.daily_close where index_code = 'DJIA' and trade_date = '2025-11-14'"
        ).fetchall()
    assert revisions == [("DJIA", date(2025, 11, 14), 47147.48, 47200.0, True)]
    assert close == 47200.0  # the latest landing wins
    checks = _checks(data / "warehouse.duckdb", str(state.state_details.flow_run_id))
    (warned,) = checks[~checks["success"]].itertuples()
    assert warned.severity == "warning" and warned.expectation.endswith("revisions allowed by this run")


def test_data_docs_index_lists_every_run(published: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(published, data)
    bad = tmp_path / "bad.csv"
    BAD["missing session"][0](bad)
    assert _run(data, bad).is_failed()
    index = (data / "docs" / "index.html").read_text(encoding="utf-8")
    # Last week's run that published the warehouse and this rejected one, five suites each.
    pages = set(re.findall(r"validations/[^\"'\\]+\.html", index))
    assert len(pages) == 10
    assert all((data / "docs" / p).is_file() for p in pages)


def test_move_bounds_come_from_the_settings(published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A tighter bound than the default flags the real April 2025 swings, as warnings; the run passes.
    monkeypatch.setenv("SMALLCAP_MOVE_WARNING", "0.05")
    data = tmp_path / "data"
    shutil.copytree(published, data)
    path = tmp_path / "closes.csv"
    _text().to_csv(path, index=False)
    state = _run(data, path)
    assert state.is_completed(), state.message
    checks = _checks(data / "warehouse.duckdb", str(state.state_details.flow_run_id))
    warned = checks[~checks["success"]]
    assert warned["expectation"].tolist() == ["daily move within ±5%"]
    assert warned["severity"].tolist() == ["warning"]
    # Known answer: the days in the real sample that moved more than 5 %, counted independently.
    closes = _text().astype({"close": "float64"}).sort_values(["index_code", "date"])
    moves = closes.groupby("index_code")["close"].pct_change().abs()
    assert warned["unexpected_count"].tolist() == [int((moves > 0.05).sum())]
    assert int((moves > 0.05).sum()) >= 3
