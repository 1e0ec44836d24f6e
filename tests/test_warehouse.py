"""Marts built by the SQL models equal an independent pandas calculation on real closes."""

import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from smallcap.calendar import sessions_between
from smallcap.lake import commits
from smallcap.lake.batches import land
from smallcap.lake.truth import committed_file_frame
from smallcap.sources.batch import from_long_text
from tasks.load import build_warehouse
from tests import independent
from tests.conftest import DATA, LONG_HISTORY, YEAR, read_closes
from warehouse.build import MODELS, MODELS_DIR, WarehouseTestFailed, build


def _batch(frame: pd.DataFrame, end: date, source: str = "csv") -> pd.DataFrame:
    text = frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).astype(str)
    return from_long_text(text, source, date(2000, 1, 1), end)


def _committed(lake: Path) -> pd.DataFrame:
    return committed_file_frame(lake, commits.live_files(commits.read_log(lake)))


def _build(tmp_path: Path, *batches: pd.DataFrame) -> Path:
    for b in batches:  # each batch landed and committed in turn, as runs do
        commits.commit_now(tmp_path / "lake", land(b, tmp_path / "lake"), "test", "test")
    return build_warehouse.fn(_committed(tmp_path / "lake"), tmp_path / "warehouse.duckdb", {})


def _mart(path: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(f"select * from marts.{name}").df()


@pytest.fixture(scope="module")
def long_history(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    daily = read_closes(LONG_HISTORY)
    daily = daily[daily["date"] <= "2025-12-12"]
    return daily, _build(tmp_path_factory.mktemp("long"), _batch(daily, date(2025, 12, 12)))


def _assert_frames_match(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    actual = actual.sort_values(keys).reset_index(drop=True)
    expected = expected.sort_values(keys).reset_index(drop=True)
    assert len(actual) == len(expected)
    for col in expected.columns:
        a, e = actual[col], expected[col]
        if col in keys or a.dtype == object or str(a.dtype).startswith(("str", "date")):
            assert [str(x)[:10] for x in a] == [str(x)[:10] for x in e], col
        else:
            np.testing.assert_allclose(
                a.to_numpy(dtype=float), e.to_numpy(dtype=float), rtol=1e-12, equal_nan=True, err_msg=col
            )


def test_weekly_close_equals_independent_calculation(long_history: tuple[pd.DataFrame, Path]) -> None:
    daily, warehouse = long_history
    expected = independent.weekly_close(daily)
    actual = _mart(warehouse, "weekly_close")
    actual["week_ending"] = pd.to_datetime(actual["week_ending"]).dt.date
    _assert_frames_match(actual, expected, ["index_code", "week_ending"])
    # SPX and DJIA since the first week of 2022; R2000G from its first week in the data.
    assert actual[actual["index_code"] == "SPX"]["week_ending"].min() == date(2022, 1, 7)


def test_relative_strength_equals_independent_calculation(long_history: tuple[pd.DataFrame, Path]) -> None:
    daily, warehouse = long_history
    weekly = independent.weekly_close(daily)
    expected = independent.relative_strength(weekly)
    weeks = pd.PeriodIndex(pd.to_datetime(expected["week_ending"]), freq="W-SUN")
    assert (np.diff(weeks.asi8) == 1).all()  # consecutive weeks, so a 26-row mean is a 26-week mean
    actual = _mart(warehouse, "relative_strength")
    assert actual["pair"].unique().tolist() == ["R2000G/SPX"]
    actual["week_ending"] = pd.to_datetime(actual["week_ending"]).dt.date
    _assert_frames_match(actual.drop(columns="pair"), expected, ["week_ending"])
    assert actual["ma_26w"].isna().sum() == 25  # NULL until 26 weeks exist


# The three indices every session 2024-11-14..2026-02-13: R2000G reaches the seed's week.
SEED_CLOSES = DATA / "index_closes_2024-11-14_2026-02-13.csv"
DEVIATIONS = ["deviation_26w", "deviation_26w_points", "deviation_26w_daily", "deviation_26w_daily_points"]


@pytest.fixture(scope="module")
def seed_history(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    daily = read_closes(SEED_CLOSES)
    return daily, _build(tmp_path_factory.mktemp("seed"), _batch(daily, date(2026, 2, 13)))


def test_every_deviation_form_equals_independent_calculation(seed_history: tuple[pd.DataFrame, Path]) -> None:
    daily, warehouse = seed_history
    expected = independent.deviation_forms(daily)
    actual = _mart(warehouse, "relative_strength")
    actual["week_ending"] = pd.to_datetime(actual["week_ending"]).dt.date
    assert len(expected) == 66  # every week 2024-11-15..2026-02-13
    _assert_frames_match(actual[list(expected.columns)], expected, ["week_ending"])
    assert actual[["ma_26w_daily", *DEVIATIONS]].isna().sum().tolist() == [25] * 5  # NULL until 26 weeks exist


def test_seed_week_under_each_definition(seed_history: tuple[pd.DataFrame, Path]) -> None:
    """The seed prints +0.39 %; on the real closes no definition gives exactly that (README)."""
    _, warehouse = seed_history
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.sql(
            f"select ratio, ma_26w, ma_26w_daily, {', '.join(DEVIATIONS)} from marts.relative_strength"
            " where week_ending = '2026-02-13'"
        ).fetchall()[0]
    printed = [round(x * 100, 2) for x in row]
    assert printed == [25.01, 24.64, 24.61, 1.51, 0.37, 1.64, 0.40]


def test_daily_ratio_staging_holds_every_session(seed_history: tuple[pd.DataFrame, Path]) -> None:
    _, warehouse = seed_history
    with duckdb.connect(str(warehouse), read_only=True) as con:
        sessions, weeks, bad_week = con.sql(
            "select count(*), count(distinct week_start),"
            " count(*) filter (where isodow(week_start) <> 1 or trade_date - week_start not between 0 and 4)"
            " from staging.stg_daily_ratio"
        ).fetchall()[0]
    assert (sessions, weeks, bad_week) == (312, 66, 0)


def test_known_weeks_on_real_data(tmp_path: Path) -> None:
    warehouse = _build(tmp_path, _batch(read_closes(YEAR), date(2025, 11, 21)))
    weekly = _mart(warehouse, "weekly_close").set_index(["index_code", "week_ending"])
    weeks = {d.date() for d in pd.to_datetime(weekly.xs("SPX").index)}
    assert date(2025, 4, 17) in weeks and date(2025, 4, 18) not in weeks  # Good Friday week ends Thursday
    assert date(2024, 11, 29) in weeks  # Thanksgiving week ends on the Friday half-day
    spx = weekly.loc[("SPX", pd.Timestamp("2025-04-17"))]
    assert spx["close"] == 5282.70 and spx["prev_close"] == 5363.36
    assert _mart(warehouse, "daily_close").groupby("index_code").size().to_dict() == {
        "DJIA": 252,
        "R2000G": 252,
        "SPX": 252,
    }


def test_latest_commit_wins(tmp_path: Path) -> None:
    daily = read_closes(YEAR)
    first = _batch(daily, date(2025, 11, 21))
    revised = daily.copy()
    revised.loc[(revised["index_code"] == "SPX") & (revised["date"] == "2025-11-21"), "close"] = 6600.00
    warehouse = _build(tmp_path, first, _batch(revised, date(2025, 11, 21)))
    closes = _mart(warehouse, "daily_close")
    assert len(closes) == 3 * 252
    spx = closes[(closes["index_code"] == "SPX") & (closes["trade_date"] == pd.Timestamp("2025-11-21"))]
    assert spx["close"].tolist() == [6600.00]


def test_every_model_file_is_built_and_documented(long_history: tuple[pd.DataFrame, Path]) -> None:
    _, warehouse = long_history
    files = {str(p.relative_to(MODELS_DIR).with_suffix("")) for p in MODELS_DIR.glob("*/*.sql")}
    assert files == set(MODELS)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.sql("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall()
        undocumented = con.sql(
            "select table_name, column_name from duckdb_columns() where schema_name = 'marts' and comment is null"
        ).fetchall()
        dim = con.sql("select * from marts.dim_index order by index_code").fetchall()
    assert {t for t, _ in tables} == {"dim_index", "daily_close", "weekly_close", "relative_strength"}
    assert all(comment for _, comment in tables)
    assert undocumented == []
    assert dim == [
        ("DJIA", "Dow Jones Industrial Average", "NYダウ"),
        ("R2000G", "Russell 2000 Growth", "ラッセル2000グロース"),
        ("SPX", "S&P 500", "SP500"),
    ]


def test_failed_model_test_keeps_the_published_warehouse(tmp_path: Path) -> None:
    warehouse = _build(tmp_path, _batch(read_closes(YEAR), date(2025, 11, 21)))
    before = warehouse.read_bytes()
    indices = pd.DataFrame({"index_code": ["SPX", "SPX"], "name_en": ["a", "b"], "name_ja": ["a", "b"]})
    with pytest.raises(WarehouseTestFailed, match=r"raw.index.index_code unique: 1 row"):
        build(_committed(tmp_path / "lake"), warehouse, indices, sessions_between)
    assert warehouse.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake", "warehouse.duckdb"]


def test_lake_files_of_an_older_layout_still_load(tmp_path: Path) -> None:
    """The warehouse is rebuilt from the lake on every run, so a new version's schema applies at
    once; lake files written before a column was added (here the provenance columns) keep loading."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    daily = read_closes(YEAR)
    lake = tmp_path / "lake"
    commits.commit_now(lake, land(_batch(daily[daily["date"] > "2025-06-01"], date(2025, 11, 21)), lake), "t", "t")
    older = daily[daily["date"] <= "2025-06-01"]
    for code, rows in older.groupby("index_code"):
        folder = tmp_path / "lake" / "daily_close" / "source=csv" / f"index_code={code}"
        table = pa.table(
            {
                "trade_date": rows["date"].dt.date.to_list(),
                "close": rows["close"].to_list(),
                "batch_id": ["oldlayout"] * len(rows),
                "landed_at": pa.array([pd.Timestamp("2025-06-02", tz="UTC")] * len(rows), pa.timestamp("us", tz="UTC")),
            }
        )
        pq.write_table(table, folder / "batch-oldlayout.parquet")
        commits.commit_now(lake, [folder / "batch-oldlayout.parquet"], "t", "t")
    old_warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(old_warehouse)) as con:  # a warehouse of an older shape
        con.sql("create schema marts; create table marts.weekly_close(index_code varchar, week_ending date)")

    warehouse = build_warehouse.fn(_committed(lake), old_warehouse, {})
    closes = _mart(warehouse, "daily_close")
    assert len(closes) == 3 * 252
    expected = independent.weekly_close(daily)
    assert len(_mart(warehouse, "weekly_close")) == len(expected)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        [(missing,)] = con.sql("select count(*) from raw.daily_close where source_symbol is null").fetchall()
    assert missing == len(older)


def test_a_dead_builds_spill_folder_is_removed(tmp_path: Path) -> None:
    batch = _batch(read_closes(YEAR), date(2025, 11, 21))
    _build(tmp_path, batch)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    spill = tmp_path / f".warehouse.duckdb.{int(gone.stdout)}.building.tmp"  # DuckDB's temporary folder
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"spilled")
    _build(tmp_path, batch)
    assert not spill.exists()


def test_latest_commit_wins_across_sources_and_untouched_files_pass_through(tmp_path: Path) -> None:
    daily = read_closes(YEAR)
    early = daily[daily["date"] <= "2025-06-30"]
    first = _batch(early, date(2025, 6, 30), source="sample")
    # A csv batch from May on for R2000G and SPX, revising SPX on 2025-06-30: it overlaps their
    # sample files; DJIA's sample file overlaps nothing and passes through unranked.
    later = daily[(daily["date"] >= "2025-05-01") & (daily["index_code"] != "DJIA")].copy()
    later.loc[(later["index_code"] == "SPX") & (later["date"] == "2025-06-30"), "close"] = 6000.00
    warehouse = _build(tmp_path, first, _batch(later, date(2025, 11, 21), source="csv"))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        stg = con.sql("select * from staging.stg_daily_close").df()
    assert not stg.duplicated(["index_code", "trade_date"]).any()
    assert stg.groupby("index_code").size().to_dict() == {
        "DJIA": int((early["index_code"] == "DJIA").sum()),
        "R2000G": 252,
        "SPX": 252,
    }
    spx = stg[(stg["index_code"] == "SPX") & (stg["trade_date"] == pd.Timestamp("2025-06-30"))]
    assert spx[["close", "source"]].values.tolist() == [[6000.00, "csv"]]
    may_on = stg["trade_date"] >= pd.Timestamp("2025-05-01")
    assert set(stg[~may_on]["source"]) == {"sample"}  # only the sample batch has these days
    assert set(stg[may_on & (stg["index_code"] != "DJIA")]["source"]) == {"csv"}
    assert set(stg[stg["index_code"] == "DJIA"]["source"]) == {"sample"}


def test_query_results_read_as_figures_in_the_table() -> None:
    from warehouse.analyst import readable

    # Double arithmetic leaves binary noise in the last digits of what is stored.
    rel = duckdb.connect().sql(
        "select 47147.48::double - 46644.42::double as change, 6734.11::double - 6728.8::double as small,"
        " 12345678.9::double + 2e-9 as big, 0.2501337493::double as ratio, 1e20::double as e20,"
        " 'nan'::double as nan, null::double as none, 1.5::float as single, 503.06::decimal(10, 2) as exact,"
        " 'text' as label, 7 as change"
    )
    stored = rel.fetchall()[0]
    assert stored[:3] == (503.06000000000495, 5.309999999999491, 12345678.900000002)
    shown = readable(rel)
    assert shown.columns == rel.columns and shown.types == rel.types  # still numbers, named and typed as queried
    row = shown.fetchall()[0]
    assert row[:6] == (503.06, 5.31, 12345678.9, 0.2501337493, 1e20) + row[5:6] and row[5] != row[5]  # NaN
    assert row[6:] == (None, 1.5, stored[8], "text", 7)
    assert "│ 503.06 │" in str(shown) and "503.06000000000495" not in str(shown)
