"""The .yml tests beside the models can fail: each kind discards the build, and so does a .yml typo."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from smallcap.calendar import sessions_between
from smallcap.indices import INDICES
from smallcap.lake import commits, records
from smallcap.lake.batches import land
from smallcap.lake.truth import committed_file_frame
from smallcap.sources.batch import from_long_text
from tests.conftest import YEAR, read_closes
from warehouse import build as builder
from warehouse.build import WarehouseSpecError, WarehouseTestFailed, build

INDEX_FRAME = pd.DataFrame(
    {
        "index_code": [i.code for i in INDICES],
        "name_en": [i.name_en for i in INDICES],
        "name_ja": [i.name_ja for i in INDICES],
    }
)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The committed lake files of a year of real closes: what a build reads."""
    closes = read_closes(YEAR)
    text = closes.assign(date=closes["date"].dt.strftime("%Y-%m-%d")).astype(str)
    folder = tmp_path_factory.mktemp("lake") / "lake"
    batch = from_long_text(text, "csv", date(2000, 1, 1), date(2025, 11, 21))
    commits.commit_now(folder, land(batch, folder), "test", "test")
    return committed_file_frame(folder, commits.live_files(commits.read_log(folder)))


@pytest.fixture
def published(lake: pd.DataFrame, tmp_path: Path) -> Path:
    """A good warehouse, published: a failed build must leave it as it is."""
    return build(lake, tmp_path / "warehouse.duckdb", INDEX_FRAME, sessions_between)


def _assert_discarded(warehouse: Path, before: bytes) -> None:
    assert warehouse.read_bytes() == before
    assert [p.name for p in warehouse.parent.iterdir()] == ["warehouse.duckdb"]


def test_a_close_missing_from_the_index_dimension_fails_relationships(lake: pd.DataFrame, published: Path) -> None:
    before = published.read_bytes()
    without_djia = INDEX_FRAME[INDEX_FRAME["index_code"] != "DJIA"]
    with pytest.raises(WarehouseTestFailed) as failed:
        build(lake, published, without_djia, sessions_between)
    message = str(failed.value)
    assert (
        "marts.daily_close.index_code relationships (every value in marts.dim_index.index_code): "
        "252 row(s), e.g. 'DJIA'" in message
    )
    assert "marts.weekly_close.index_code relationships (every value in marts.dim_index.index_code)" in message
    _assert_discarded(published, before)


def test_a_ratio_pair_of_an_unknown_index_fails_relationships(lake: pd.DataFrame, published: Path) -> None:
    before = published.read_bytes()
    with pytest.raises(
        WarehouseTestFailed,
        match=r"raw.ratio_pair.denominator relationships \(every value in raw.index.index_code\): "
        r"1 row\(s\), e.g. 'NDX'",
    ):
        build(lake, published, INDEX_FRAME, sessions_between, pairs=[("R2000G", "NDX")])
    _assert_discarded(published, before)


def test_a_value_outside_accepted_values_fails(lake: pd.DataFrame, published: Path) -> None:
    before = published.read_bytes()
    run = {name: [None] for name in records.SCHEMAS["pipeline_runs"].names} | {
        "flow_run_id": ["f1"],
        "gate_status": ["maybe"],
    }
    meta = {"pipeline_runs": pa.Table.from_pydict(run, schema=records.SCHEMAS["pipeline_runs"])}
    with pytest.raises(
        WarehouseTestFailed,
        match=r"meta.pipeline_runs.gate_status accepted_values \(passed, failed\): 1 row\(s\), e.g. 'maybe'",
    ):
        build(lake, published, INDEX_FRAME, sessions_between, meta)
    _assert_discarded(published, before)


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the warehouse's SQL and .yml files, used by the build instead of the real ones."""
    copy = tmp_path / "models"
    shutil.copytree(builder.MODELS_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setattr(builder, "MODELS_DIR", copy)
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_yml_entry_for_a_model_that_was_not_built_fails(lake: pd.DataFrame, tmp_path: Path, models_dir: Path) -> None:
    _edit(models_dir / "marts" / "_marts.yml", "  - name: weekly_close\n", "  - name: weekly_closes\n")
    with pytest.raises(
        WarehouseSpecError,
        match=r"declares models the build did not make: marts.weekly_closes \(marts/_marts.yml\)",
    ):
        build(lake, tmp_path / "warehouse.duckdb", INDEX_FRAME, sessions_between)
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_an_unknown_test_kind_fails(lake: pd.DataFrame, tmp_path: Path, models_dir: Path) -> None:
    _edit(models_dir / "marts" / "_marts.yml", "tests: [not_null, unique]", "tests: [not_nul, unique]")
    with pytest.raises(
        WarehouseSpecError, match=r"marts/_marts.yml: marts.dim_index.index_code: unknown test 'not_nul'"
    ):
        build(lake, tmp_path / "warehouse.duckdb", INDEX_FRAME, sessions_between)


def test_an_accepted_values_test_declared_in_yml_runs_on_the_build(
    lake: pd.DataFrame, tmp_path: Path, models_dir: Path
) -> None:
    _edit(
        models_dir / "marts" / "_marts.yml",
        "tests: [not_null, unique]",
        "tests: [not_null, unique, {accepted_values: {values: [R2000G, SPX]}}]",
    )
    with pytest.raises(
        WarehouseTestFailed,
        match=r"marts.dim_index.index_code accepted_values \(R2000G, SPX\): 1 row\(s\), e.g. 'DJIA'",
    ):
        build(lake, tmp_path / "warehouse.duckdb", INDEX_FRAME, sessions_between)


def test_a_relationship_to_a_missing_table_fails(lake: pd.DataFrame, tmp_path: Path, models_dir: Path) -> None:
    _edit(
        models_dir / "marts" / "_marts.yml",
        "{to: marts.dim_index, field: index_code}}]}\n      - {name: trade_date",
        "{to: marts.dim_indices, field: index_code}}]}\n      - {name: trade_date",
    )
    with pytest.raises(WarehouseTestFailed, match=r"marts.daily_close.index_code relationships .*: could not run"):
        build(lake, tmp_path / "warehouse.duckdb", INDEX_FRAME, sessions_between)
