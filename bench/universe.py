"""The warehouse rebuild on a synthetic universe: the product's SQL build or the pandas one.

Run one implementation per process so its peak RSS is its own:

    python -m bench.universe sql    --lake LAKE --out DIR --series N
    python -m bench.universe pandas --lake LAKE --out DIR --series N

Both read the same lake and build the same derived tables (stg_daily_close, stg_trading_week,
daily_close, weekly_close, relative_strength) for the pairs S0001/S0000 … S{N-1}/S0000: every
series against the first, as the product compares the small caps with the S&P 500. Prints one
JSON line: the build's seconds (whole and per phase), the rows of each derived table and the
process's peak RSS during the build.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import duckdb
import pandas as pd

from bench.synthetic import series_codes
from smallcap.calendar import sessions_between

DERIVED = ("stg_daily_close", "stg_trading_week", "daily_close", "weekly_close", "relative_strength")
_SCHEMA = {"stg_daily_close": "staging", "stg_trading_week": "staging"}


def pairs_for(n_series: int) -> list[tuple[str, str]]:
    codes = series_codes(n_series)
    return [(code, codes[0]) for code in codes[1:]]


def indices_for(n_series: int) -> pd.DataFrame:
    codes = series_codes(n_series)
    return pd.DataFrame({"index_code": codes, "name_en": codes, "name_ja": codes})


def run_sql(lake: Path, out: Path, n_series: int) -> dict:
    from smallcap.lake import commits
    from smallcap.lake.truth import committed_file_frame
    from warehouse.build import build

    timings: dict[str, float] = {}
    start, cpu = time.perf_counter(), _cpu_s()
    files = committed_file_frame(lake, commits.live_files(commits.read_log(lake)))
    warehouse = build(
        files, out / "warehouse.duckdb", indices_for(n_series), sessions_between, {}, pairs_for(n_series), timings
    )
    # Taken before counting the rows: counting the staging view recomputes it.
    seconds, cpu, peak = time.perf_counter() - start, _cpu_s() - cpu, _maxrss_mb()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = {t: con.sql(f"select count(*) from {_SCHEMA.get(t, 'marts')}.{t}").fetchall()[0][0] for t in DERIVED}
    return {"seconds": seconds, "cpu_s": cpu, "timings": timings, "rows": rows, "maxrss_mb": peak}


def run_pandas(lake: Path, out: Path, n_series: int) -> dict:
    from bench import pandas_warehouse

    timings: dict[str, float] = {}
    start, cpu = time.perf_counter(), _cpu_s()
    tables = pandas_warehouse.build(lake, out / "pandas", sessions_between, pairs_for(n_series), timings)
    seconds, cpu = time.perf_counter() - start, _cpu_s() - cpu
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "timings": timings,
        "rows": {t: len(tables[t]) for t in DERIVED},
        "maxrss_mb": _maxrss_mb(),
    }


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.universe")
    parser.add_argument("implementation", choices=["sql", "pandas"])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--series", type=int, required=True)
    args = parser.parse_args(argv)
    sessions_between(pd.Timestamp("2024-01-02").date(), pd.Timestamp("2024-01-02").date())  # calendar loaded untimed
    print(json.dumps((run_sql if args.implementation == "sql" else run_pandas)(args.lake, args.out, args.series)))


if __name__ == "__main__":
    main()
