"""Bad input files: every case through the csv source and the quality gate, and each kind of outcome
through the real weekly flow (Prefect test server, GX, Parquet, DuckDB).

The gate cases read the closes a lake holding last week has committed, as the flow's gate does, and
must be rejected in one line naming the failed expectation with sample rows (the failure shown on the
Data Docs page for one case per suite). Through the flow (marked `flow`), starting from the same
published data folder: a rejected batch and an unreadable file end in a failed run with the file and
the verdict in quarantine and the marts and the lake exactly as before; a 20 % move warns and passes;
a revision passes when the run allows it; the move bounds come from the settings. Files that are fine
(unsorted, a UTF-8 byte-order mark) pass the gate without a warning and load exactly their closes.
"""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from prefect.exceptions import FailedRun

from flows.weekly_report import NEW_YORK, weekly_report
from smallcap.errors import UnreadableInput
from smallcap.lake import commits
from smallcap.lake.batches import land
from smallcap.lake.truth import committed_closes, committed_file_frame
from smallcap.quality.gate import DocsSite, GateConfig, GateReport, input_failure, validate
from smallcap.settings import Settings
from smallcap.sources.csv_file import CsvSource
from tasks.load import build_warehouse
from tests.conftest import YEAR
from tests.helpers import digest, lake_digests, run_artifacts, run_logs

WEEK = date(2025, 11, 21)
LAST_WEEK = date(2025, 11, 14)
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
        "committed closes unchanged (within 0.0001%): 1 row(s) fail, "
        "e.g. index_code=DJIA trade_date=2025-11-14 published_close=47147.48 close=47200.0",
    ),
    "mixed date formats": (_csv(_us_dates), "trade_date is an ISO date: 378 row(s) fail"),
    "date with a time": (
        _csv(_set("SPX", "2025-11-20", "date", "2025-11-20T16:00:00")),
        "trade_date is an ISO date: 1 row(s) fail",
    ),
    "day-first date": (
        _csv(_set("SPX", "2025-11-20", "date", "20/11/2025")),
        "trade_date is an ISO date: 1 row(s) fail",
    ),
}


def test_the_matrix_is_at_least_25_cases() -> None:
    assert len(BAD) >= 25


# ---- every case through the csv source and the gate, as the weekly flow calls them (no Prefect)


def _commit(lake: Path, batch: pd.DataFrame) -> None:
    commits.commit_now(lake, land(batch, lake), "weekly", "test")


def _build(lake: Path, warehouse: Path) -> Path:
    return build_warehouse.fn(committed_file_frame(lake, commits.live_files(commits.read_log(lake))), warehouse, {})


@pytest.fixture(scope="module")
def last_week_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Last week's closes landed and committed (no Prefect): the lake a good run last Friday left."""
    data = tmp_path_factory.mktemp("last-week")
    good = data / "good.csv"
    text = _text()
    text[text["date"] <= LAST_WEEK.isoformat()].to_csv(good, index=False)
    _commit(data / "lake", CsvSource(good).extract(date(2000, 1, 1), LAST_WEEK))
    return data / "lake"


def gate_verdict(lake: Path, path: Path, docs: DocsSite | None = None) -> tuple[GateReport, pd.DataFrame | None]:
    """The gate's verdict on a CSV for WEEK, reached as the weekly flow reaches it (flows/steps.py): the
    csv source's extract over the settings' lookback, then the gate with the settings' bounds and the
    closes the lake has committed for the batch's indices and days (or the input failure when the file
    cannot be read). Also the batch, when there is one."""
    settings = Settings()
    try:
        batch = CsvSource(path).extract(WEEK - timedelta(days=settings.lookback_days), WEEK)
    except UnreadableInput as exc:
        return input_failure(str(exc)), None
    codes, first, last = [], None, None
    if {"index_code", "trade_date"} <= set(batch.columns) and batch["trade_date"].notna().any():
        codes = sorted(set(batch["index_code"].dropna().astype(str)))
        days = pd.to_datetime(batch["trade_date"]).dropna()
        first, last = days.min().date(), days.max().date()
    truth = committed_closes(lake, commits.live_files(commits.read_log(lake)), codes, first, last)
    config = GateConfig(
        move_warning=settings.move_warning,
        move_error=settings.move_error,
        revision_tolerance=settings.revision_tolerance,
    )
    today = datetime.now(NEW_YORK).date()
    report = validate(batch, week_ending=WEEK, today=today, published=truth, config=config, docs=docs)
    return report, batch


# Building Data Docs triples the gate's time: one case per suite (case -> the suite that fails) shows
# the failure on that suite's page; the flow's rejected run shows it too.
DOCS_CASES = {
    "negative close": "daily_close",
    "missing index": "index_summary",
    "missing session": "session_coverage",
    "40 % jump": "daily_move",
    "revised close": "revisions",
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_file_is_rejected_by_the_gate_in_one_line(last_week_lake: Path, tmp_path: Path, case: str) -> None:
    write, expected = BAD[case]
    bad = tmp_path / "bad.csv"
    write(bad)
    original = bad.read_bytes()
    docs = DocsSite(tmp_path / "docs", tmp_path / "gx" / "validations", "weekly-2025-11-21")

    report, batch = gate_verdict(last_week_lake, bad, docs if case in DOCS_CASES else None)

    assert not report.success
    message = report.reason()
    assert "\n" not in message and message.startswith("batch rejected by the quality gate"), message
    assert expected in message, message
    assert bad.read_bytes() == original  # the input is only read
    # The verdict as quarantine keeps it (validation.json): every failed expectation named in the line.
    verdict = json.loads(json.dumps(report.to_dict(), default=str))
    assert verdict["success"] is False
    failed = [c for c in verdict["checks"] if not c["success"] and c["severity"] == "error"]
    assert failed and all(c["expectation"] in message for c in failed)
    if case in DOCS_CASES:  # every suite has its page, and the failed suite's page shows the failure
        assert set(verdict["docs"]) == {*DOCS_CASES.values(), "after_week"}  # after_week: no case fails it
        assert DOCS_CASES[case] in {c["suite"] for c in failed}
    if failed[0]["suite"] != "input":  # a parsed batch
        assert batch is not None
        for check in failed if case in DOCS_CASES else []:
            page = Path(verdict["docs"][check["suite"]])
            assert page.is_relative_to(tmp_path / "docs")
            assert check["expectation"] in html.unescape(page.read_text(encoding="utf-8"))
    else:
        assert batch is None


def _daily_close(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql("select * from marts.daily_close order by index_code, trade_date").df()


@pytest.mark.parametrize(
    ("case", "write"),
    [
        # Row order in a CSV carries no meaning: the gate checks content, the warehouse sorts.
        ("unsorted rows", _csv(lambda f: f.sample(frac=1, random_state=3))),
        # Excel's "CSV UTF-8" starts with a byte-order mark; it is still UTF-8.
        ("UTF-8 byte-order mark", _csv(lambda f: f, encoding="utf-8-sig")),
    ],
)
def test_acceptable_file_passes_without_alarm(
    last_week_lake: Path,
    tmp_path: Path,
    case: str,
    write,  # noqa: ANN001
) -> None:
    path = tmp_path / "closes.csv"
    write(path)
    report, batch = gate_verdict(last_week_lake, path)
    assert report.success, report.reason()
    assert len(report.checks) == 18 and all(c.success for c in report.checks)
    # Committed beside last week's batch and built, the marts hold exactly the file's closes, in order.
    data = tmp_path / "data"
    shutil.copytree(last_week_lake, data / "lake")
    _commit(data / "lake", batch)
    warehouse = _build(data / "lake", data / "warehouse.duckdb")
    expected = _text().astype({"close": "float64"}).sort_values(["index_code", "date"])
    marts = _daily_close(warehouse)
    assert marts["index_code"].tolist() == expected["index_code"].tolist()
    assert marts["trade_date"].dt.strftime("%Y-%m-%d").tolist() == expected["date"].tolist()
    assert marts["close"].tolist() == expected["close"].tolist()


# ---- each kind of outcome through the real weekly flow


@pytest.fixture(scope="module")
def published_data(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder every flow case starts from: last week's good run of the real sample.

    Each case is then this week's file (the whole sample through 2025-11-21), as on a Friday.
    """
    root = tmp_path_factory.mktemp("published")
    good = root / "good.csv"
    text = _text()
    text[text["date"] <= LAST_WEEK.isoformat()].to_csv(good, index=False)
    weekly_report(source="csv", csv_path=str(good), week_ending=LAST_WEEK, data_dir=str(root / "data"))
    return root / "data"


def _run(data: Path, csv: Path, **kwargs):  # noqa: ANN202
    return weekly_report(
        source="csv", csv_path=str(csv), week_ending=WEEK, data_dir=str(data), return_state=True, **kwargs
    )


@dataclass(frozen=True)
class Rejected:
    """A run of a bad file on a copy of the published data folder, with what the folder held before."""

    data: Path
    bad: Path
    original: bytes
    state: object
    warehouse_before: str
    lake_before: dict[str, str]


def _reject(published_data: Path, folder: Path, case: str) -> Rejected:
    data = folder / "data"
    shutil.copytree(published_data, data)
    warehouse_before, lake_before = digest(data / "warehouse.duckdb"), lake_digests(data)
    bad = folder / "bad.csv"
    BAD[case][0](bad)
    original = bad.read_bytes()
    return Rejected(data, bad, original, _run(data, bad), warehouse_before, lake_before)


@pytest.fixture(scope="module")
def rejected(published_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Rejected:
    """A batch the gate rejects (a negative close), through the flow. Read only."""
    return _reject(published_data, tmp_path_factory.mktemp("rejected"), "negative close")


def _assert_failed_and_kept(run: Rejected, expected: str) -> dict:
    state, data = run.state, run.data
    assert state.is_failed()
    message = state.message
    assert "\n" not in message and message.startswith("batch rejected by the quality gate"), message
    assert expected in message, message
    with pytest.raises(FailedRun, match="batch rejected by the quality gate"):
        state.result()
    # Nothing lost, nothing loaded: marts byte-for-byte as before, no new lake file, input untouched.
    assert digest(data / "warehouse.duckdb") == run.warehouse_before
    assert lake_digests(data) == run.lake_before
    assert run.bad.read_bytes() == run.original
    # The batch in quarantine with the file and the verdict; the run's message names the folder.
    (kept,) = (data / "quarantine").iterdir()
    assert f"kept in {kept}" in message
    assert (kept / "input-bad.csv").read_bytes() == run.original
    assert expected in (kept / "reason.txt").read_text(encoding="utf-8")
    verdict = json.loads((kept / "validation.json").read_text(encoding="utf-8"))
    assert verdict["success"] is False
    failed = [c for c in verdict["checks"] if not c["success"] and c["severity"] == "error"]
    assert failed and all(c["expectation"] in message for c in failed)
    # Its verdict page is kept with it; the week has no published page (nothing was published).
    page = html.unescape((kept / "report.html").read_text(encoding="utf-8"))
    assert "Quality gate: rejected" in page and all(c["expectation"] in page for c in failed)
    assert not (data / "reports" / f"{WEEK:%Y-%m-%d}").exists()
    return {"kept": kept, "verdict": verdict, "failed": failed}


@pytest.mark.flow
def test_rejected_batch_fails_the_run_and_is_quarantined(rejected: Rejected) -> None:
    found = _assert_failed_and_kept(rejected, BAD["negative close"][1])
    kept, verdict = found["kept"], found["verdict"]
    # A parsed batch: kept as parsed, and its Data Docs page shows the failure.
    assert len(pd.read_csv(kept / "batch.csv")) > 0
    for check in found["failed"]:
        page = Path(verdict["docs"][check["suite"]])
        assert page.is_relative_to(rejected.data / "docs")
        assert check["expectation"] in html.unescape(page.read_text(encoding="utf-8"))


@pytest.mark.flow
def test_unreadable_file_fails_the_run_and_is_kept(published_data: Path, tmp_path: Path) -> None:
    run = _reject(published_data, tmp_path, "UTF-16 file")
    found = _assert_failed_and_kept(run, BAD["UTF-16 file"][1])
    assert [c["suite"] for c in found["failed"]] == ["input"]
    assert not (found["kept"] / "batch.csv").exists()  # nothing was parsed: only the input file is kept


def _checks(warehouse: Path, flow_run_id: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select suite, expectation, severity, success, unexpected_count, sample from meta.validation_results "
            "where flow_run_id = ?",
            [flow_run_id],
        ).df()


@pytest.mark.flow
def test_large_plausible_move_warns_and_passes(
    published_data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    shutil.copytree(published_data, data)
    path = tmp_path / "closes.csv"
    _csv(_move("R2000G", "2025-11-21", "2025-11-20", 1.2))(path)  # 1534.25 -> 1841.10, +20 %
    state = _run(data, path)
    assert state.is_completed(), state.message
    run_id = str(state.state_details.flow_run_id)
    assert (
        "gate warning (batch passes): daily move within ±15%: 1 row(s) fail, e.g. index_code=R2000G "
        "trade_date=2025-11-21 prev_close=1534.25 close=1841.1 move_pct=20.0"
    ) in caplog.text

    # Recorded: the warning with its row, beside 17 passed checks.
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
    (artifact,) = run_artifacts(run_id, ["quality-gate"])
    rows = json.loads(artifact.data)
    assert len(rows) == 18
    by_name = {r["expectation"]: r for r in rows}
    assert by_name["daily move within ±15%"] == {
        "status": "warned",
        "bad rows": 1,
        "severity": "warning",
        "suite": "daily_move",
        "expectation": "daily move within ±15%",
        "e.g.": "index_code=R2000G trade_date=2025-11-21 prev_close=1534.25 close=1841.1 move_pct=20.0",
    }
    assert rows[0] == by_name["daily move within ±15%"]  # the one that did not pass comes first
    assert sum(r["status"] == "passed" for r in rows) == 17
    assert artifact.description.startswith("Quality gate passed batch ")
    assert "17 passed, 0 failed, 1 warned of 18 checks" in artifact.description


@pytest.mark.flow
def test_rejected_run_has_a_gate_artifact_naming_the_failure(rejected: Rejected) -> None:
    assert rejected.state.is_failed()
    (artifact,) = run_artifacts(str(rejected.state.state_details.flow_run_id), ["quality-gate"])
    rows = json.loads(artifact.data)
    failed = [(r["expectation"], r["severity"], r["bad rows"]) for r in rows if r["status"] == "failed"]
    assert failed == [("close > 0", "error", 1)]
    # The failed check is the first row, its short result columns first, with the row that failed.
    assert list(rows[0]) == ["status", "bad rows", "severity", "suite", "expectation", "e.g."]
    assert (rows[0]["status"], rows[0]["expectation"]) == ("failed", "close > 0")
    assert rows[0]["e.g."] == "index_code=SPX trade_date=2025-11-21 close=-6602.99"
    assert "Quality gate rejected batch" in artifact.description
    assert "17 passed, 1 failed, 0 warned of 18 checks" in artifact.description


@pytest.mark.flow
def test_rejected_run_shows_its_verdict_in_prefect(rejected: Rejected) -> None:
    """Read back through Prefect's client: the refusing task is red with the reason, as is the run."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    run_id = str(rejected.state.state_details.flow_run_id)
    reason = rejected.state.message
    assert reason.startswith("batch rejected by the quality gate (1 of 18 checks failed): close > 0")
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    assert run.state.is_failed() and run.state.message == reason
    failed = [t for t in tasks if t.state.is_failed()]
    assert [(t.name.rsplit("-", 1)[0], t.state.message) for t in failed] == [("reject batch", reason)]
    assert all(t.state.is_completed() for t in tasks if t not in failed)  # the rest did their part
    errors = [log for log in run_logs(run_id) if log.level >= logging.ERROR]
    assert reason in [log.message for log in errors]
    assert not any("Traceback" in log.message or "NoneType: None" in log.message for log in errors)


@pytest.mark.flow
def test_revision_allowed_by_the_run_is_loaded_and_recorded(published_data: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(published_data, data)
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


@pytest.mark.flow
def test_data_docs_index_lists_every_run(rejected: Rejected) -> None:
    assert rejected.state.is_failed()
    index = (rejected.data / "docs" / "index.html").read_text(encoding="utf-8")
    # Last week's run that published the warehouse and this rejected one, six suites each.
    pages = set(re.findall(r"validations/[^\"'\\]+\.html", index))
    assert len(pages) == 12
    assert all((rejected.data / "docs" / p).is_file() for p in pages)


@pytest.mark.flow
def test_move_bounds_come_from_the_settings(
    published_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tighter bound than the default flags the real April 2025 swings, as warnings; the run passes.
    monkeypatch.setenv("SMALLCAP_MOVE_WARNING", "0.05")
    data = tmp_path / "data"
    shutil.copytree(published_data, data)
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
