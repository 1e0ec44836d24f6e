"""`make bench`: measure the weekly run and the warehouse, and write bench/RESULTS.md.

Every measured command runs in its own fresh process (bench.measure); the numbers are medians.
Runs of the kinds being compared are interleaved (ephemeral, server, plain, ephemeral, ...) so a
change of machine load affects all of them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench import measure, report
from bench.server import prefect_server

BENCH_DIR = Path(__file__).parent
REPO = BENCH_DIR.parent
BIN = Path(sys.executable).parent

# Closes of the three indices on the sample's first day: synthetic history starts near them.
HISTORY_START_CLOSE = {"R2000G": 1600.0, "SPX": 5900.0, "DJIA": 43000.0}


@dataclass
class Results:
    machine: dict[str, Any] = field(default_factory=dict)
    samples: dict[str, list[measure.Sample]] = field(default_factory=dict)
    plain_steps: list[dict[str, float]] = field(default_factory=list)
    universe: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, sample: measure.Sample) -> measure.Sample:
        self.samples.setdefault(name, []).append(sample)
        return sample


def machine() -> dict[str, Any]:
    # Versions from the package metadata: importing them would grow this process, and a child's
    # peak RSS as the kernel reports it starts from its parent's.
    from importlib.metadata import version

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "memory_gib": psutil.virtual_memory().total / 2**30,
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        **{key: version(dist) for key, dist in _VERSIONS.items()},
        "load_before": os.getloadavg(),
    }


_VERSIONS = {
    "duckdb": "duckdb",
    "prefect": "prefect",
    "pandas": "pandas",
    "great_expectations": "great-expectations",
}


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for measured runs: no user settings of ours or Prefect's leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMALLCAP_", "PREFECT_"))}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env["PYTHONPATH"] = str(REPO)
    return env | extra


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def land_synthetic(lake: Path, series: int, years: int, **options: str) -> dict[str, Any]:
    """Generate and land a universe in a child process (bench.synthetic)."""
    cmd = [sys.executable, "-m", "bench.synthetic", "--lake", str(lake), "--series", str(series), "--years", str(years)]
    for name, value in options.items():
        cmd += [f"--{name.replace('_', '-')}", value]
    return json.loads(measure.run(cmd, clean_env(), timeout=900).stdout)


def fill_history(lake: Path, years: int) -> int:
    return land_synthetic(
        lake,
        len(HISTORY_START_CLOSE),
        years,
        seed=str(years),
        codes=",".join(HISTORY_START_CLOSE),
        start_close=",".join(str(v) for v in HISTORY_START_CLOSE.values()),
        source="history",
    )["rows"]


def weekly_runs(res: Results, work: Path, repeat: int) -> None:
    """(1) ephemeral and server runs, (2) the plain script, (4) the incremental runs, interleaved."""
    smallcap = str(BIN / "smallcap")
    python = sys.executable
    ephemeral_env = clean_env(PREFECT_HOME=str(work / "prefect-ephemeral"))
    server_home = work / "prefect-server"
    server_home.mkdir()
    counter = iter(range(10**6))

    def data_dir(prefix: str) -> Path:
        return work / "runs" / f"{prefix}-{next(counter)}"

    def with_lake(years: int) -> Path:
        target = data_dir(f"history{years}")
        shutil.copytree(work / f"history-{years}" / "lake", target / "lake")
        return target

    res.notes["history_rows"] = {years: fill_history(work / f"history-{years}" / "lake", years) for years in (1, 40)}

    with prefect_server(BIN / "prefect", clean_env(PREFECT_HOME=str(server_home)), work / "server.log") as api:
        log(f"prefect server up at {api}")
        server_env = clean_env(PREFECT_HOME=str(server_home), PREFECT_API_URL=api)
        kinds: dict[str, Callable[[], measure.Sample]] = {
            "ephemeral": lambda: measure.run([smallcap, "run", "--data-dir", str(data_dir("e"))], ephemeral_env),
            "server": lambda: measure.run([smallcap, "run", "--data-dir", str(data_dir("s"))], server_env),
            "plain": lambda: measure.run([python, "-m", "bench.plain", "--data-dir", str(data_dir("p"))], server_env),
            "incremental_1y": lambda: measure.run([smallcap, "run", "--data-dir", str(with_lake(1))], server_env),
            "incremental_40y": lambda: measure.run([smallcap, "run", "--data-dir", str(with_lake(40))], server_env),
            "import_prefect": lambda: measure.run([python, "-c", "import prefect"], server_env),
            "import_gx": lambda: measure.run([python, "-c", "import great_expectations"], server_env),
            "python_startup": lambda: measure.run([python, "-c", "pass"], server_env),
        }
        # Untimed first runs: Prefect creates its database, the OS caches the files.
        for name in ("ephemeral", "server", "plain"):
            kinds[name]()
        for i in range(repeat):
            for name, run in kinds.items():
                sample = res.add(name, run())
                if name == "plain":
                    res.plain_steps.append(json.loads(sample.stdout)["seconds"])
            log(f"weekly runs {i + 1}/{repeat}: " + ", ".join(f"{n} {res.samples[n][-1].wall_s:.1f}s" for n in kinds))


def universe_runs(res: Results, work: Path, n_series: int, years: int, repeat: int) -> None:
    """(3) the full rebuild of the derived tables: product SQL vs pandas, each in its own process."""
    lake = work / "universe" / "lake"
    landed = land_synthetic(lake, n_series, years)
    res.notes["universe"] = {
        "series": n_series,
        "years": years,
        "rows": landed["rows"],
        "generate_s": landed["generate_s"],
        "land_s": landed["land_s"],
        "lake_mb": sum(p.stat().st_size for p in lake.rglob("*.parquet")) / 2**20,
        "files": landed["files"],
    }
    log(f"universe {n_series} x {years} y landed: {res.notes['universe']['rows']:,} rows")
    for i in range(repeat):
        for impl in ("sql", "pandas"):
            out = work / "universe" / f"{impl}-{i}"
            sample = measure.run(
                [
                    sys.executable,
                    "-m",
                    "bench.universe",
                    impl,
                    "--lake",
                    str(lake),
                    "--out",
                    str(out),
                    "--series",
                    str(n_series),
                ],
                clean_env(),
                timeout=900,
            )
            result = json.loads(sample.stdout)
            result["wall_s"] = sample.wall_s
            res.universe.setdefault(impl, []).append(result)
            shutil.rmtree(out)
        log(
            f"universe rebuild {i + 1}/{repeat}: "
            + ", ".join(f"{k} {v[-1]['seconds']:.1f}s" for k, v in res.universe.items())
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--repeat", type=int, default=5, help="weekly runs of each kind (median)")
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--years", type=int, default=40)
    parser.add_argument("--universe-repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "RESULTS.md")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    res = Results(machine=machine())
    log(f"load average {res.machine['load_before'][0]:.2f}; writing {args.out}")
    work = Path(tempfile.mkdtemp(prefix="smallcap-bench-"))
    try:
        weekly_runs(res, work, args.repeat)
        universe_runs(res, work, args.series, args.years, args.universe_repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res.machine["load_after"] = os.getloadavg()
    res.machine["bench_minutes"] = (time.perf_counter() - started) / 60
    args.out.write_text(report.render(res, median=statistics.median), encoding="utf-8")
    log(f"wrote {args.out} in {res.machine['bench_minutes']:.1f} min")
    from bench import backfill  # the product's own path at scale: its own section of the same file

    backfill.main(["--series", str(args.series), "--years", str(args.years), "--out", str(args.out)])


if __name__ == "__main__":
    main()
