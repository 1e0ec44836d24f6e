"""The gate from the command line: `smallcap run --allow-revisions` and `smallcap quarantine list|show`.

The commands run in-process (Typer's runner) against the session's Prefect test server.
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from app.cli import app
from tests.conftest import YEAR

# The CLI quiets Prefect's logger at exit: prefect_log_level keeps that from leaking into other tests.
pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_server", "prefect_log_level")]

runner = CliRunner()


def _closes(path: Path, close_djia_2025_11_14: str | None = None) -> Path:
    frame = pd.read_csv(YEAR, dtype=str, keep_default_na=False)
    frame = frame[frame["index_code"].isin(["R2000G", "SPX", "DJIA"])]
    if close_djia_2025_11_14 is not None:
        at = (frame["index_code"] == "DJIA") & (frame["date"] == "2025-11-14")
        frame.loc[at, "close"] = close_djia_2025_11_14
    frame.to_csv(path, index=False)
    return path


def smallcap(*args: str):  # noqa: ANN201
    return runner.invoke(app, [str(a) for a in args])


def _last_line(result) -> str:  # noqa: ANN001
    return result.output.strip().splitlines()[-1]


def test_revision_needs_allow_revisions(tmp_path: Path) -> None:
    data = tmp_path / "data"
    week = ("--week-ending", "2025-11-21", "--data-dir", data)
    assert smallcap("run", "--csv", _closes(tmp_path / "good.csv"), *week).exit_code == 0
    revised = _closes(tmp_path / "revised.csv", close_djia_2025_11_14="47200.00")

    refused = smallcap("run", "--csv", revised, *week)
    assert refused.exit_code == 1
    assert _last_line(refused).startswith(
        "error: batch rejected by the quality gate (1 of 18 checks failed): committed closes "
        "unchanged (within 0.0001%): 1 row(s) fail, e.g. index_code=DJIA trade_date=2025-11-14 "
        "published_close=47147.48 close=47200.0 (batch kept in "
    )

    accepted = smallcap("run", "--csv", revised, *week, "--allow-revisions")
    assert accepted.exit_code == 0, accepted.output
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        rows = con.sql("select close, accepted from meta.revisions order by found_at").fetchall()
        [(close,)] = con.sql(
            "select close from marts.daily_close where index_code = 'DJIA' and trade_date = '2025-11-14'"
        ).fetchall()
    assert rows == [(47200.0, False), (47200.0, True)]  # the refused run's finding is kept too
    assert close == 47200.0


def test_quarantine_list_and_show_say_why(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert smallcap("quarantine", "list", "--data-dir", data).output == "no quarantined batches\n"

    bad = pd.read_csv(_closes(tmp_path / "closes.csv"), dtype=str)
    bad.loc[(bad["index_code"] == "SPX") & (bad["date"] == "2025-11-21"), "close"] = "-6602.99"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    (tmp_path / "utf16.csv").write_text(bad.to_csv(index=False), encoding="utf-16")
    for path in ("bad.csv", "utf16.csv"):
        run = smallcap("run", "--csv", tmp_path / path, "--week-ending", "2025-11-21", "--data-dir", data)
        assert run.exit_code == 1

    listed = smallcap("quarantine", "list", "--data-dir", data)
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert len(lines) == 2
    ids = [line.split()[0] for line in lines]
    assert all(i.startswith("weekly-2025-11-21-") for i in ids)
    assert lines[0].endswith("  close > 0")
    assert lines[1].endswith("  file is a readable UTF-8 CSV")

    shown = smallcap("quarantine", "show", ids[0], "--data-dir", data)
    assert shown.exit_code == 0
    out = dict(line.split(maxsplit=1) for line in shown.output.splitlines())
    assert out["id"] == ids[0]
    assert out["reason"].startswith("batch rejected by the quality gate (1 of 18 checks failed): close > 0: 1 row(s)")
    assert out["gate"] == "17 passed, 1 failed, 0 warned of 18 checks"
    assert (
        out["failed"]
        == "[daily_close] close > 0: 1 row(s) fail, e.g. index_code=SPX trade_date=2025-11-21 close=-6602.99"
    )
    assert out["files"] == "batch.csv, input-bad.csv, reason.txt, report.html, validation.json"
    page = Path(out["docs"])
    assert page.is_relative_to(data / "docs" / "validations" / "daily_close")
    assert "close > 0" in html.unescape(page.read_text(encoding="utf-8"))

    unreadable = smallcap("quarantine", "show", ids[1], "--data-dir", data)
    assert "failed    [input] file is a readable UTF-8 CSV: failed (error=CSV file is not a readable UTF-8 CSV" in (
        unreadable.output
    )
    assert "files     input-utf16.csv, reason.txt, report.html, validation.json" in unreadable.output

    missing = smallcap("quarantine", "show", "nope", "--data-dir", data)
    assert missing.exit_code == 1
    assert (
        _last_line(missing)
        == f"error: no quarantined batch 'nope' in {data / 'quarantine'} (see `smallcap quarantine list`)"
    )


def test_empty_file_without_a_week_is_kept_too(tmp_path: Path) -> None:
    # With no --week-ending the week comes from the file itself, which cannot be read.
    empty = tmp_path / "closes.csv"
    empty.write_bytes(b"")
    run = smallcap("run", "--csv", empty, "--data-dir", tmp_path / "data")
    assert run.exit_code == 1
    assert _last_line(run).startswith(
        "error: batch rejected by the quality gate (1 of 1 checks failed): file is a readable UTF-8 CSV: "
        f"failed (error=CSV file is empty: {empty}) (input kept in {tmp_path / 'data' / 'quarantine'}"
    )
    (kept,) = (tmp_path / "data" / "quarantine").iterdir()
    assert kept.name.startswith("weekly-unresolved-")
    assert (kept / "input-closes.csv").read_bytes() == b""
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()
