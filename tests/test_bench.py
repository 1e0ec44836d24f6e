"""The benchmark's parts on a tiny universe: deterministic data, and both warehouse builds agree.

No timing assertions: speed is measured by `make bench`, not by tests.
"""

from __future__ import annotations

import statistics
import sys
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from bench import measure, pandas_warehouse, plain, report, synthetic, universe
from bench.run import Results
from smallcap.calendar import sessions_between
from tests.conftest import CompletedRun


def test_synthetic_universe_is_seeded_and_on_nyse_sessions() -> None:
    first = synthetic.universe(3, 1, seed=11)
    again = synthetic.universe(3, 1, seed=11)
    other = synthetic.universe(3, 1, seed=12)
    pd.testing.assert_frame_equal(first, again)
    assert not np.array_equal(first["close"].to_numpy(), other["close"].to_numpy())

    sessions = sessions_between(date(2023, 11, 15), synthetic.HISTORY_END)
    assert list(first.columns) == ["index_code", "trade_date", "close", "source_symbol"]
    assert first["index_code"].unique().tolist() == ["S0000", "S0001", "S0002"]
    for _, series in first.groupby("index_code"):
        assert series["trade_date"].dt.date.tolist() == sessions  # every NYSE session, no weekend or holiday
    assert date(2024, 7, 4) not in set(first["trade_date"].dt.date)
    assert (first["close"] > 0).all() and (first["close"] == first["close"].round(2)).all()


def test_forty_years_reach_back_before_2000() -> None:
    frame = synthetic.universe(1, 40, codes=["SPX"])
    assert frame["trade_date"].min() == pd.Timestamp("1984-11-14")  # the calendar covers decades of history
    assert len(frame) == len(sessions_between(date(1984, 11, 14), synthetic.HISTORY_END))


@pytest.fixture(scope="module")
def tiny_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lake = tmp_path_factory.mktemp("universe") / "lake"
    frame = synthetic.universe(3, 1, seed=3)
    synthetic.land_universe(frame, lake, series_per_batch=2)
    # A later batch revising S0001's last two closes: the latest landing must win in both builds.
    revised = frame[frame["index_code"] == "S0001"].tail(2).assign(close=lambda f: f["close"] + 1)
    synthetic.land_universe(revised, lake)
    return lake


def _sql_tables(warehouse: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            t: con.sql(f"select * from {'staging' if t.startswith('stg') else 'marts'}.{t}").df()
            for t in universe.DERIVED
        }


def test_sql_and_pandas_builds_give_the_same_tables(tiny_lake: Path, tmp_path: Path) -> None:
    sql = universe.run_sql(tiny_lake, tmp_path, 3)
    pandas = universe.run_pandas(tiny_lake, tmp_path, 3)
    assert sql["rows"] == pandas["rows"]
    assert sql["rows"]["daily_close"] == 3 * len(sessions_between(date(2023, 11, 15), synthetic.HISTORY_END))
    assert set(sql["timings"]) == {"raw", "staging", "marts", "checks", "publish"}

    expected = pandas_warehouse.build(tiny_lake, tmp_path / "again", sessions_between, universe.pairs_for(3))
    actual = _sql_tables(tmp_path / "warehouse.duckdb")
    keys = {
        "stg_daily_close": ["index_code", "trade_date"],
        "stg_trading_week": ["week_ending"],
        "daily_close": ["index_code", "trade_date"],
        "weekly_close": ["index_code", "week_ending"],
        "relative_strength": ["pair", "week_ending"],
    }
    for name, key in keys.items():
        a = actual[name].sort_values(key, ignore_index=True)
        e = expected[name].sort_values(key, ignore_index=True)[list(a.columns)]
        for col in a.columns:
            if pd.api.types.is_float_dtype(e[col]):
                np.testing.assert_allclose(a[col].to_numpy(float), e[col].to_numpy(float), rtol=1e-12, err_msg=name)
            else:
                assert [str(x)[:19] for x in a[col]] == [str(x)[:19] for x in e[col]], f"{name}.{col}"

    rs = actual["relative_strength"]
    assert sorted(rs["pair"].unique()) == ["S0001/S0000", "S0002/S0000"]
    assert rs.groupby("pair")["ma_26w"].apply(lambda s: s.isna().sum()).tolist() == [25, 25]
    revised = actual["daily_close"].query("index_code == 'S0001'").sort_values("trade_date").tail(2)["close"].to_numpy()
    landed = synthetic.universe(3, 1, seed=3).query("index_code == 'S0001'").tail(2)["close"].to_numpy()
    np.testing.assert_allclose(revised, landed + 1)


def test_measure_runs_a_fresh_process_and_reports_its_failure() -> None:
    sample = measure.run([sys.executable, "-c", "x = bytearray(50_000_000); print('done')"])
    assert sample.stdout.strip() == "done"
    assert sample.wall_s > 0 and sample.peak_rss_mb >= 50
    with pytest.raises(measure.CommandFailed, match="exited 3: ValueError: bad input"):
        measure.run([sys.executable, "-c", "import sys; print('ValueError: bad input', file=sys.stderr); sys.exit(3)"])


@pytest.mark.flow
def test_plain_run_is_the_flow_without_prefect(tmp_path: Path, sample_week: CompletedRun) -> None:
    seconds: dict[str, float] = {}
    plain_out = plain.run_week(seconds, data_dir=str(tmp_path / "plain"))
    flow_out = sample_week.out  # the flow's default run (bundled sample, its last week)
    plain_draft, flow_draft = Path(plain_out["draft"]), Path(flow_out["draft"])
    assert plain_draft.read_text(encoding="utf-8") == flow_draft.read_text(encoding="utf-8")
    for out in (plain_out, flow_out):
        with duckdb.connect(out["warehouse"], read_only=True) as con:
            assert con.sql("select count(*) from marts.weekly_close").fetchall()[0][0] > 0
    assert {"validate batch (Great Expectations)", "build warehouse", "whole flow body"} <= set(seconds)
    assert "publish artifacts to Prefect UI" not in seconds  # Prefect's UI only: no plain counterpart


def test_plain_run_refuses_a_task_that_would_reach_prefect() -> None:
    from tasks.extract import extract_closes

    with plain.plain_flow(), pytest.raises(RuntimeError, match="would run through Prefect"):
        extract_closes("sample", None, date(2025, 1, 6), date(2025, 1, 10))


def _sample(wall: float) -> measure.Sample:
    return measure.Sample(wall_s=wall, peak_tree_rss_mb=400.0, peak_rss_mb=300.0, stdout="", cpu_s=wall * 0.9)


def test_results_say_which_targets_were_missed_and_why() -> None:
    walls = {
        "ephemeral": 9.0,
        "server": 6.0,
        "plain": 5.0,
        "incremental_1y": 6.0,
        "incremental_40y": 6.3,
        "import_prefect": 1.2,
        "import_gx": 3.1,
        "python_startup": 0.02,
    }
    res = Results(
        machine={
            "date": "2026-01-01 00:00 UTC",
            "nproc": 2,
            "memory_gib": 24.0,
            "cpu": "test CPU",
            "os": "Linux",
            "python": "3.11",
            "duckdb": "2.0",
            "prefect": "3.9",
            "pandas": "3.1",
            "great_expectations": "1.24",
            "load_before": (0.1, 0.2, 0.3),
            "load_after": (0.4, 0.5, 0.6),
            "bench_minutes": 9.5,
        },
        samples={k: [_sample(v), _sample(v)] for k, v in walls.items()},
        plain_steps=[{"validate batch (Great Expectations)": 3.0, "whole flow body": 4.0}],
        universe={
            "sql": [
                {
                    "seconds": 6.0,
                    "cpu_s": 9.0,
                    "timings": {"raw": 2.0, "staging": 0.0, "marts": 2.5, "checks": 1.0, "publish": 0.5},
                    "rows": {"daily_close": 10},
                    "maxrss_mb": 900.0,
                    "wall_s": 7.0,
                }
            ],
            "pandas": [
                {
                    "seconds": 30.0,
                    "cpu_s": 29.0,
                    "timings": {"raw": 10.0, "derive": 12.0, "checks": 3.0, "publish": 5.0},
                    "rows": {"daily_close": 10},
                    "maxrss_mb": 2500.0,
                    "wall_s": 31.0,
                }
            ],
        },
        notes={
            "universe": {
                "series": 1000,
                "years": 40,
                "rows": 10_080_000,
                "generate_s": 5.0,
                "land_s": 40.0,
                "lake_mb": 120.0,
                "files": 1000,
            },
            "history_rows": {1: 753, 40: 30_240},
        },
    )
    text = report.render(res, median=statistics.median)
    targets = [
        line for line in text.splitlines() if line.startswith("| ") and line.endswith(("| met |", "**missed** |"))
    ]
    assert len(targets) == 10
    assert "| weekly run, fresh process, Prefect's temporary server | ≤ 10 s | 9.00 s | met |" in text
    assert "| weekly run, fresh process, against a running Prefect server | ≤ 4 s | 6.00 s | **missed** |" in text
    assert "| 10.1 M-row rebuild of the derived tables (staging + marts) | ≤ 2 s | 2.50 s | **missed** |" in text
    assert "| DuckDB ÷ pandas, full build | ≤ 0.3 × | 0.20 × | met |" in text
    assert "| weekly run with 40 years loaded ÷ with 1 year loaded | ≤ 1.2 × | 1.05 × | met |" in text
    assert "| CPU seconds of the whole build (user + system, every thread) | 9.00 s | 29.00 s |" in text
    why = text.split("Why the missed ones missed")[1].split("\n## ")[0]
    assert (
        "against a running Prefect server**: The plain script, with no orchestration at all, already takes 5.00 s"
        in why
    )
    assert "rebuild of the derived tables" in why and "temporary server**" not in why
    assert "nproc" not in text and "2 cores, test CPU" in text and "before 0.10 0.20 0.30" in text


def test_product_path_bench_universe_and_plain_gate(tmp_path: Path) -> None:
    from bench import backfill
    from smallcap.universe import load

    made = backfill.synthetic_csv(4, 1, tmp_path / "u.csv")
    u = load(backfill.universe_file(made["codes"], tmp_path / "u.toml"))
    assert u.codes == ("S0000", "S0001", "S0002", "S0003") and [p.name for p in u.pairs][0] == "S0001/S0000"
    batch = pd.read_csv(tmp_path / "u.csv", parse_dates=["date"]).rename(columns={"date": "trade_date"})
    clean = backfill.plain_gate(batch, backfill.SYNTHETIC_END, date(2026, 1, 1), list(u.codes))
    assert not any(clean.values()), clean
    broken = pd.concat([batch, batch.iloc[:5]], ignore_index=True).drop(index=[100])
    bad = backfill.plain_gate(broken, backfill.SYNTHETIC_END, date(2026, 1, 1), list(u.codes))
    assert bad["one row per (index_code, trade_date)"] == 10 and bad["every session"] == 1
