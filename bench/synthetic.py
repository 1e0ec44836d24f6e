"""A seeded synthetic universe: N series × Y years of daily closes on NYSE sessions.

Each series is a geometric random walk (its own drift and volatility, both drawn from the seed),
rounded to cents like a published index close. The same arguments give the same frame, byte for
byte, on any machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from smallcap.calendar import sessions_between
from smallcap.lake import commits
from smallcap.lake.batches import land

# The day before the bundled sample starts: history generated up to here joins the sample's run.
HISTORY_END = date(2024, 11, 13)


def series_codes(n: int) -> list[str]:
    return [f"S{i:04d}" for i in range(n)]


def universe(
    n_series: int,
    years: int,
    *,
    seed: int = 8,
    end: date = HISTORY_END,
    codes: Sequence[str] | None = None,
    start_close: Sequence[float] | float = 1000.0,
) -> pd.DataFrame:
    """Long frame (index_code, trade_date, close, source_symbol), one row per series and session.

    `years` counts back from `end` (inclusive); `codes` names the series (default S0000, S0001, ...).
    """
    codes = list(codes) if codes is not None else series_codes(n_series)
    if len(codes) != n_series:
        raise ValueError(f"{n_series} series but {len(codes)} codes")
    start = end - timedelta(days=round(365.25 * years) - 1)
    sessions = pd.DatetimeIndex(sessions_between(start, end)).as_unit("us")
    rng = np.random.default_rng(seed)
    drift = rng.normal(0.06, 0.04, n_series) / 252  # annual drift ~6 % ± 4 %
    vol = rng.uniform(0.10, 0.35, n_series) / np.sqrt(252)  # annual volatility 10–35 %
    shocks = rng.standard_normal((len(sessions), n_series)) * vol + (drift - vol**2 / 2)
    levels = np.broadcast_to(np.asarray(start_close, dtype="float64"), (n_series,))
    closes = np.round(levels * np.exp(np.cumsum(shocks, axis=0)), 2)
    closes = np.maximum(closes, 0.01)  # a cent is the smallest close; the gate demands > 0
    return pd.DataFrame(
        {
            "index_code": np.repeat(np.asarray(codes, dtype=object), len(sessions)),
            "trade_date": np.tile(sessions.to_numpy(), n_series),
            "close": closes.T.reshape(-1),
            "source_symbol": np.repeat(np.asarray(codes, dtype=object), len(sessions)),
        }
    )


def as_batch(frame: pd.DataFrame, source: str = "synthetic") -> pd.DataFrame:
    """The frame in the shape a source hands over (smallcap.sources.batch.COLUMNS)."""
    return frame.assign(source=source, extracted_at=pd.Timestamp(datetime.now(UTC)))[
        ["index_code", "trade_date", "close", "source", "source_symbol", "extracted_at"]
    ]


def land_universe(frame: pd.DataFrame, lake_dir: Path, source: str = "synthetic", series_per_batch: int = 50) -> int:
    """Land the frame in the lake with the product's own lake writer; returns the files written."""
    codes = frame["index_code"].unique()
    files = 0
    for i in range(0, len(codes), series_per_batch):
        chunk = frame[frame["index_code"].isin(codes[i : i + series_per_batch])]
        landed = land(as_batch(chunk, source), lake_dir)
        commits.commit_now(lake_dir, landed, "bench", "synthetic universe")  # as a run commits its batch
        files += len(landed)
    return files


def main(argv: list[str] | None = None) -> None:
    """Generate and land a universe in its own process (the benchmark's parent stays small)."""
    import argparse
    import json
    import time

    parser = argparse.ArgumentParser(prog="python -m bench.synthetic")
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--series", type=int, required=True)
    parser.add_argument("--years", type=int, required=True)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--codes", help="comma-separated series codes (default S0000, S0001, ...)")
    parser.add_argument("--start-close", default="1000", help="comma-separated first closes, one or one per series")
    parser.add_argument("--source", default="synthetic")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    frame = universe(
        args.series,
        args.years,
        seed=args.seed,
        codes=args.codes.split(",") if args.codes else None,
        start_close=[float(x) for x in args.start_close.split(",")],
    )
    generated = time.perf_counter()
    files = land_universe(frame, args.lake, source=args.source)
    landed = time.perf_counter()
    print(
        json.dumps({"rows": len(frame), "files": files, "generate_s": generated - start, "land_s": landed - generated})
    )


if __name__ == "__main__":
    main()
