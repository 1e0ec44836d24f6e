"""The command as a user runs it: a separate process with Prefect's own temporary server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd

from tests.conftest import YEAR, read_closes


def smallcap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    return subprocess.run(
        [sys.executable, "-m", "smallcap.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_run_on_a_csv_prints_the_outputs(tmp_path: Path, year_csv: Path) -> None:
    out = smallcap(
        "run",
        "--source",
        "csv",
        "--csv",
        str(year_csv),
        "--week-ending",
        "2025-11-21",
        "--data-dir",
        str(tmp_path / "d"),
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(maxsplit=1) for line in out.stdout.splitlines())
    assert lines["week"] == "ending  2025-11-21"
    assert Path(lines["draft"]).is_file() and Path(lines["chart"]).is_file()
    with duckdb.connect(lines["warehouse"], read_only=True) as con:
        [(n,)] = con.sql("select count(*) from marts.daily_close").fetchall()
    assert n == 3 * 252


def test_bad_input_exits_non_zero_with_one_clear_last_line(tmp_path: Path) -> None:
    bad = read_closes(YEAR)
    bad.loc[0, "close"] = -1.0
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False, date_format="%Y-%m-%d")
    out = smallcap("run", "--csv", str(path), "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert out.returncode == 1
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("error: batch rejected by the quality gate"), out.stderr
    assert "close > 0: 1 row(s) fail, e.g. index_code=DJIA trade_date=2024-11-20 close=-1.0" in last
    assert not (tmp_path / "d" / "warehouse.duckdb").exists()
    assert pd.read_csv(path).equals(bad.assign(date=bad["date"].dt.strftime("%Y-%m-%d")))  # input untouched


def test_bad_week_ending_is_refused_before_any_work(tmp_path: Path) -> None:
    out = smallcap("run", "--week-ending", "13/02/2026", "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert out.returncode == 1
    assert (
        out.stderr.strip().splitlines()[-1] == "error: --week-ending must be an ISO date YYYY-MM-DD, got '13/02/2026'"
    )
    assert not (tmp_path / "d").exists()
