"""The command as a user runs it: a separate process with Prefect's own temporary server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import YEAR, read_closes
from tests.helpers import prefect_server_env

# End to end: the installed command in its own process (runs start Prefect's temporary server).
pytestmark = pytest.mark.flow


def smallcap(*args: str, cwd: Path, server: bool = False, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """The command in its own process: with Prefect's temporary server, as a user runs it, or (server)
    pointed at the session's test server, where the temporary server would only add its start-up."""
    if server:
        env = prefect_server_env(**extra_env)
    else:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "SMALLCAP_"))}
        env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        env.update(extra_env)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.usefixtures("prefect_server")
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
        server=True,
    )
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(maxsplit=1) for line in out.stdout.splitlines())
    assert lines["week"] == "ending  2025-11-21"
    assert Path(lines["draft"]).is_file() and Path(lines["chart"]).is_file()
    assert Path(lines["page"]) == Path(lines["chart"]).with_name("report.html") and Path(lines["page"]).is_file()
    with duckdb.connect(lines["warehouse"], read_only=True) as con:
        [(n,)] = con.sql("select count(*) from marts.daily_close").fetchall()
    assert n == 3 * 252


def test_default_run_writes_under_data_in_the_current_directory(tmp_path: Path) -> None:
    out = smallcap("run", cwd=tmp_path)  # what `make run` does: bundled sample, ./data
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"draft        {tmp_path / 'data' / 'reports' / '2026-02-13' / 'comment.ja.txt'}" in out.stdout
    assert (tmp_path / "data" / "warehouse.duckdb").is_file()
    assert (tmp_path / "data" / "docs" / "index.html").is_file()


@pytest.mark.usefixtures("prefect_server")
def test_bad_input_exits_non_zero_with_one_clear_last_line(tmp_path: Path) -> None:
    bad = read_closes(YEAR)
    bad.loc[0, "close"] = -1.0
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False, date_format="%Y-%m-%d")
    out = smallcap("run", "--csv", str(path), cwd=tmp_path, server=True, SMALLCAP_DATA_DIR=str(tmp_path / "d"))
    assert out.returncode == 1
    assert len(list((tmp_path / "d" / "quarantine").iterdir())) == 1  # the data folder came from the environment
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("error: batch rejected by the quality gate"), out.stderr
    assert "close > 0: 1 row(s) fail, e.g. index_code=DJIA trade_date=2024-11-20 close=-1.0" in last
    assert not (tmp_path / "d" / "warehouse.duckdb").exists()
    assert pd.read_csv(path).equals(bad.assign(date=bad["date"].dt.strftime("%Y-%m-%d")))  # input untouched


USAGE_ERRORS = {
    "unknown source": (
        ["--source", "nope"],
        "SMALLCAP_SOURCE: unknown source 'nope': choose yahoo, fred, sample or csv",
    ),
    "csv without a file": (["--source", "csv"], "SMALLCAP_CSV_PATH: source 'csv' needs a file: pass --csv PATH"),
    "missing csv": (["--csv", "nope.csv"], "CSV file not found: nope.csv"),
    "fred as the source": (
        ["--source", "fred"],
        "FRED has no Russell 2000 Growth (R2000G) series; it carries only SPX (SP500) and DJIA (DJIA): "
        "use --source yahoo, optionally with --check-source fred",
    ),
    "bad date": (["--week-ending", "13/02/2026"], "--week-ending must be an ISO date YYYY-MM-DD, got '13/02/2026'"),
    "date without leading zeros": (
        ["--week-ending", "2026-2-13"],
        "--week-ending must be an ISO date YYYY-MM-DD, got '2026-2-13'",
    ),
    "unknown check source": (
        ["--check-source", "sample"],
        "SMALLCAP_CHECK_SOURCE: unknown cross-check source 'sample': choose fred or yahoo",
    ),
}


@pytest.mark.usefixtures("prefect_server")
@pytest.mark.parametrize("case", USAGE_ERRORS)
def test_a_usage_error_is_one_line_and_exit_2_before_any_run(tmp_path: Path, case: str) -> None:
    from prefect import get_client

    args, message = USAGE_ERRORS[case]
    with get_client(sync_client=True) as client:
        runs_before = client.count_flow_runs()
    # Pointed at the session's Prefect server: a run the command created would be counted there.
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "run", *args, "--data-dir", str(tmp_path / "d")],
        cwd=tmp_path,
        env=prefect_server_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr.splitlines() == [f"error: {message}"]  # one line: no traceback, nothing after it
    assert out.stdout == ""
    with get_client(sync_client=True) as client:
        assert client.count_flow_runs() == runs_before
    assert not (tmp_path / "d").exists()


def _small_warehouse(data_dir: Path) -> Path:
    from datetime import date

    from smallcap.lake import commits
    from smallcap.lake.batches import land
    from smallcap.lake.truth import committed_file_frame
    from smallcap.sources.batch import from_long_text
    from tasks.load import build_warehouse

    daily = read_closes(YEAR)
    text = daily.assign(date=daily["date"].dt.strftime("%Y-%m-%d")).astype(str)
    lake = data_dir / "lake"
    commits.commit_now(lake, land(from_long_text(text, "csv", date(2000, 1, 1), date(2025, 11, 21)), lake), "t", "t")
    files = committed_file_frame(lake, commits.live_files(commits.read_log(lake)))
    return build_warehouse.fn(files, data_dir / "warehouse.duckdb", {})


def test_sql_reads_the_warehouse_read_only(tmp_path: Path) -> None:
    _small_warehouse(tmp_path / "d")
    query = (
        "select week_ending, round(close, 2) as close from marts.weekly_close"
        " where index_code = 'SPX' order by 1 desc limit 2"
    )
    out = smallcap("sql", query, "--csv", "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["week_ending,close", "2025-11-21,6602.99", "2025-11-14,6734.11"]
    # A difference of closes carries binary noise: the table shows the figure, CSV the exact double.
    change = "select change from marts.weekly_close where index_code = 'DJIA' and week_ending = '2025-11-14'"
    table = smallcap("sql", change, "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "│ 160.38 │" in table.stdout and "160.380000" not in table.stdout
    exact = smallcap("sql", change, "--csv", "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert exact.stdout.splitlines() == ["change", "160.38000000000466"]
    refused = smallcap("sql", "create table marts.mine as select 1", "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith("error: query failed:") and "read-only" in refused.stderr


def test_sql_without_a_warehouse_says_so(tmp_path: Path) -> None:
    out = smallcap("sql", "select 1", "--data-dir", str(tmp_path / "none"), cwd=tmp_path)
    assert out.returncode == 1
    missing = tmp_path / "none" / "warehouse.duckdb"
    assert out.stderr.strip() == f"error: no warehouse at {missing}: run `smallcap run` first (or pass --data-dir)"


def test_shell_runs_statements_until_end_of_input(tmp_path: Path) -> None:
    _small_warehouse(tmp_path / "d")
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "shell", "--data-dir", str(tmp_path / "d")],
        input="select count(*) as n\n  from marts.daily_close;\nselect nonsense;\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0
    assert "756" in out.stdout
    assert "error: Binder Error" in out.stderr
