"""Any data folder works: brackets, `*`, `?`, spaces, Japanese. A path is a path, never a glob pattern."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from smallcap.lake.paths import literal, literals
from tests.conftest import CompletedRun
from tests.helpers import digest, marts

ODD = "レポート [2026] *"  # characters DuckDB's readers take as a pattern, with Japanese and spaces
DECOY = "レポート 2 x"  # the folder the path matches when read as a pattern


def _parquet(path: Path, value: int) -> Path:
    path.parent.mkdir(parents=True)
    duckdb.sql(f"copy (select {value} as v) to '{path}'")  # noqa: S608  (a test's own path)
    return path


def test_a_literal_path_reads_only_its_own_file(tmp_path: Path) -> None:
    own = _parquet(tmp_path / ODD / "f.parquet", 1)
    _parquet(tmp_path / DECOY / "f.parquet", 2)
    files = duckdb.execute("select v, filename from read_parquet(?, filename = true)", [literals([str(own)])])
    assert files.fetchall() == [(1, str(own))]


def test_only_pattern_characters_change() -> None:
    assert literal("/d/a [1] *?/x=1/b-c.parquet") == "/d/a [[]1] [*][?]/x=1/b-c.parquet"
    assert literal("/データ/lake/f.parquet") == "/データ/lake/f.parquet"


def test_a_run_in_a_folder_named_like_a_pattern(sample_week: CompletedRun, tmp_path: Path) -> None:
    """One real run for every odd character: its lake is read, not the folder beside it the pattern matches."""
    from flows.weekly_report import weekly_report

    data, decoy = tmp_path / ODD / "data", tmp_path / DECOY / "data"
    shutil.copytree(sample_week.data_dir, data)
    shutil.copytree(sample_week.data_dir, decoy)  # a copy beside it, e.g. last year's folder
    kept = {p: digest(p) for p in decoy.rglob("*") if p.is_file()}

    state = weekly_report(data_dir=str(data), return_state=True)

    assert state.is_completed(), state.message
    out = state.result()
    assert Path(out["warehouse"]) == data / "warehouse.duckdb" and Path(out["page"]).is_file()
    assert marts(data / "warehouse.duckdb") == marts(sample_week.data_dir / "warehouse.duckdb")
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        read = {f for (f,) in con.sql("select distinct file from raw.lake_file").fetchall()}
    assert read and all(f.startswith(str(data / "lake")) for f in read)
    assert {p: digest(p) for p in decoy.rglob("*") if p.is_file()} == kept


@pytest.mark.parametrize("name", ["x", "[", "]", "*", "?", "[a-z]", "{a,b}", "**"])
def test_a_single_odd_name_reads_as_itself(tmp_path: Path, name: str) -> None:
    own = _parquet(tmp_path / name / "f.parquet", 7)
    assert duckdb.execute("select v from read_parquet(?)", [literals([str(own)])]).fetchall() == [(7,)]


def test_a_data_folder_with_a_question_mark_is_refused_in_one_line(tmp_path: Path) -> None:
    from smallcap.errors import SettingsError
    from smallcap.settings import Settings

    with pytest.raises(SettingsError) as refused:
        Settings(data_dir=tmp_path / "why?" / "data")
    assert str(refused.value) == (
        f"SMALLCAP_DATA_DIR: {tmp_path / 'why?' / 'data'}: a path with '?' cannot hold the DuckDB warehouse: "
        "choose a folder without '?'"
    )
