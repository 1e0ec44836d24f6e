"""The warehouse's derived tables written the idiomatic pandas way, to measure the SQL against.

Same inputs (the lake, the NYSE sessions, the ratio pairs), same tables and the same
definitions as warehouse/staging and warehouse/marts: latest landing wins; a week ends on its
last NYSE session; prev_close is the previous calendar week's close or missing; ma_26w is the
mean of the 26 weekly ratios ending that week, missing unless all 26 exist; ma_26w_daily is the
mean of the daily ratios of every session in those 26 weeks, missing with ma_26w.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, MutableMapping, Sequence
from datetime import date
from pathlib import Path

import pandas as pd


def read_lake(lake_dir: Path) -> pd.DataFrame:
    """Every committed row (raw.daily_close), index_code and source from the folder names, and the
    commit that last listed its file (read from the commit log's JSON)."""
    raw = pd.read_parquet(lake_dir / "daily_close")
    for col in ("index_code", "source"):
        raw[col] = raw[col].astype("str")
    raw["trade_date"] = pd.to_datetime(raw["trade_date"])
    seq: dict[str, int] = {}
    for path in sorted((lake_dir / "commits").glob("[0-9]*.json")):
        commit = json.loads(path.read_text(encoding="utf-8"))
        for gone in commit.get("retracted", []):
            seq.pop(gone, None)
        seq.update({f["path"]: commit["seq"] for f in commit["files"]})
    files = "daily_close/source=" + raw["source"] + "/index_code=" + raw["index_code"] + "/batch-" + raw["batch_id"]
    raw["commit_seq"] = (files + ".parquet").map(seq)
    return raw.dropna(subset=["commit_seq"]).astype({"commit_seq": "int64"})


def stg_daily_close(raw: pd.DataFrame) -> pd.DataFrame:
    latest_last = raw.sort_values(["commit_seq", "batch_id"], kind="stable")
    winners = latest_last.drop_duplicates(["index_code", "trade_date"], keep="last")
    cols = ["index_code", "trade_date", "close", "source", "source_symbol", "batch_id", "landed_at", "commit_seq"]
    return winners[cols]


def stg_trading_week(sessions: Sequence[date]) -> pd.DataFrame:
    days = pd.Series(pd.to_datetime(list(sessions)), name="session_date")
    weeks = (
        days.groupby(days - pd.to_timedelta(days.dt.weekday, unit="D"))
        .agg(week_ending="max", sessions="size")
        .rename_axis("week_start")
        .reset_index()
        .sort_values("week_ending", ignore_index=True)
    )
    weeks["week_no"] = range(1, len(weeks) + 1)
    return weeks


def daily_close(stg: pd.DataFrame) -> pd.DataFrame:
    return stg[["index_code", "trade_date", "close"]].sort_values(["index_code", "trade_date"], ignore_index=True)


def weekly_close(stg: pd.DataFrame, weeks: pd.DataFrame) -> pd.DataFrame:
    this = stg[["index_code", "trade_date", "close"]].merge(
        weeks[["week_ending", "week_no"]], left_on="trade_date", right_on="week_ending"
    )[["index_code", "week_ending", "week_no", "close"]]
    before = this[["index_code", "week_no", "close"]].assign(week_no=this["week_no"] + 1)
    out = this.merge(before, on=["index_code", "week_no"], how="left", suffixes=("", "_prev"))
    out = out.rename(columns={"close_prev": "prev_close"})
    out["change"] = out["close"] - out["prev_close"]
    out["return_1w"] = out["close"] / out["prev_close"] - 1
    cols = ["index_code", "week_ending", "close", "prev_close", "change", "return_1w"]
    return out.sort_values(["index_code", "week_ending"], ignore_index=True)[cols]


def relative_strength(
    weekly: pd.DataFrame, weeks: pd.DataFrame, pairs: Sequence[tuple[str, str]], daily: pd.DataFrame
) -> pd.DataFrame:
    pair_frame = pd.DataFrame(list(pairs), columns=["numerator", "denominator"], dtype="str")
    pair_frame["pair"] = pair_frame["numerator"] + "/" + pair_frame["denominator"]
    closes = weekly[["index_code", "week_ending", "close"]]
    both = (
        pair_frame.merge(closes, left_on="numerator", right_on="index_code")
        .merge(closes, left_on=["denominator", "week_ending"], right_on=["index_code", "week_ending"])
        .rename(columns={"close_x": "numerator_close", "close_y": "denominator_close"})
        .merge(weeks[["week_ending", "week_no"]], on="week_ending")
    )
    both["ratio"] = both["numerator_close"] / both["denominator_close"]
    # One column per pair over every week number, so a 26-row window is 26 calendar weeks.
    wide = both.pivot(index="week_no", columns="pair", values="ratio").reindex(weeks["week_no"])
    ma = wide.rolling(26, min_periods=26).mean().stack().rename("ma_26w").reset_index()
    out = both.merge(ma, on=["week_no", "pair"], how="left")
    out["deviation_26w"] = out["ratio"] / out["ma_26w"] - 1
    out["deviation_26w_points"] = out["ratio"] - out["ma_26w"]
    # Daily ratios summed per pair and week, then 26-week sums of sums and of session counts.
    day = daily[["index_code", "trade_date", "close"]]
    by_day = (
        pair_frame.merge(day, left_on="numerator", right_on="index_code")
        .merge(day, left_on=["denominator", "trade_date"], right_on=["index_code", "trade_date"])
        .assign(week_start=lambda f: f["trade_date"] - pd.to_timedelta(f["trade_date"].dt.weekday, unit="D"))
        .merge(weeks[["week_start", "week_no"]], on="week_start")
    )
    by_day["ratio"] = by_day["close_x"] / by_day["close_y"]
    per_week = by_day.groupby(["week_no", "pair"])["ratio"].agg(["sum", "size"])
    sums = per_week["sum"].unstack().reindex(weeks["week_no"]).rolling(26, min_periods=1).sum()
    counts = per_week["size"].unstack().reindex(weeks["week_no"]).rolling(26, min_periods=1).sum()
    daily_ma = (sums / counts).stack().rename("ma_26w_daily").reset_index()
    out = out.merge(daily_ma, on=["week_no", "pair"], how="left")
    out["ma_26w_daily"] = out["ma_26w_daily"].where(out["ma_26w"].notna())
    out["deviation_26w_daily"] = out["ratio"] / out["ma_26w_daily"] - 1
    out["deviation_26w_daily_points"] = out["ratio"] - out["ma_26w_daily"]
    cols = [
        *("pair", "week_ending", "numerator_close", "denominator_close", "ratio", "ma_26w", "deviation_26w"),
        *("deviation_26w_points", "ma_26w_daily", "deviation_26w_daily", "deviation_26w_daily_points"),
    ]
    return out.sort_values(["pair", "week_ending"], ignore_index=True)[cols]


def derive(
    raw: pd.DataFrame,
    sessions_between: Callable[[date, date], list[date]],
    pairs: Sequence[tuple[str, str]],
) -> dict[str, pd.DataFrame]:
    """staging and marts tables from the raw rows."""
    stg = stg_daily_close(raw)
    weeks = stg_trading_week(sessions_between(raw["trade_date"].min().date(), raw["trade_date"].max().date()))
    weekly = weekly_close(stg, weeks)
    daily = daily_close(stg)
    return {
        "stg_daily_close": stg,
        "stg_trading_week": weeks,
        "daily_close": daily,
        "weekly_close": weekly,
        "relative_strength": relative_strength(weekly, weeks, pairs, daily),
    }


# The same data tests the SQL build runs from the .yml files: unique keys and required columns.
_KEYS = {
    "stg_daily_close": ["index_code", "trade_date"],
    "stg_trading_week": ["week_ending"],
    "daily_close": ["index_code", "trade_date"],
    "weekly_close": ["index_code", "week_ending"],
    "relative_strength": ["pair", "week_ending"],
}


def check(tables: dict[str, pd.DataFrame]) -> None:
    for name, keys in _KEYS.items():
        frame = tables[name]
        if frame[keys].isna().any().any() or frame.duplicated(keys).any():
            raise ValueError(f"{name}: null or duplicate key")


def build(
    lake_dir: Path,
    out_dir: Path,
    sessions_between: Callable[[date, date], list[date]],
    pairs: Sequence[tuple[str, str]],
    timings: MutableMapping[str, float] | None = None,
) -> dict[str, pd.DataFrame]:
    """Lake → derived tables → checked → one Parquet file per table in out_dir."""
    timings = {} if timings is None else timings
    start = time.perf_counter()
    raw = read_lake(lake_dir)
    timings["raw"] = (t1 := time.perf_counter()) - start
    tables = derive(raw, sessions_between, pairs)
    timings["derive"] = (t2 := time.perf_counter()) - t1
    check(tables)
    timings["checks"] = (t3 := time.perf_counter()) - t2
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_parquet(out_dir / f"{name}.parquet", index=False)
    timings["publish"] = time.perf_counter() - t3
    return tables
