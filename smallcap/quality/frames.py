"""Frames derived from a batch, for GX statements about groups and sequences (pure pandas)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from smallcap.calendar import session_flags, sessions_between
from smallcap.indices import INDEX_CODES
from smallcap.sources.batch import AFTER_END


def _usable(batch: pd.DataFrame, known: Sequence[str] = INDEX_CODES) -> pd.DataFrame:
    """Rows of known indices with a readable date, one per (index, date): what sequences are built from."""
    if not {"index_code", "trade_date", "close"} <= set(batch.columns):
        return pd.DataFrame({"index_code": [], "trade_date": pd.Series(dtype="datetime64[us]"), "close": []})
    rows = batch[batch["index_code"].isin(list(known)) & batch["trade_date"].notna()]
    rows = rows.drop_duplicates(["index_code", "trade_date"]).sort_values(["index_code", "trade_date"])
    return rows[["index_code", "trade_date", "close"]].reset_index(drop=True)


def summarize(batch: pd.DataFrame) -> pd.DataFrame:
    """One row per index present: first and last date and row count."""
    if not {"index_code", "trade_date"} <= set(batch.columns) or batch.empty:
        return pd.DataFrame(
            {
                "index_code": pd.Series(dtype="str"),
                "first_date": pd.Series(dtype="datetime64[us]"),
                "last_date": pd.Series(dtype="datetime64[us]"),
                "rows": pd.Series(dtype="int64"),
            }
        )
    grouped = batch.dropna(subset=["trade_date"]).groupby("index_code", as_index=False)
    return grouped.agg(first_date=("trade_date", "min"), last_date=("trade_date", "max"), rows=("trade_date", "size"))


def session_coverage(batch: pd.DataFrame, week_ending: date, known: Sequence[str] = INDEX_CODES) -> pd.DataFrame:
    """One row per index and date that is either in the batch or an NYSE session it should hold.

    An index should hold every session from its own first date to the week's last session: a
    source may start an index later than the others (a shorter history is not an error), but
    once it starts there is no gap. `in_batch` false = a missing session; `is_session` false = a
    date on a weekend or holiday. `known`: the universe's codes (others are named by their own check).
    """
    rows = _usable(batch, known)
    if rows.empty:
        return pd.DataFrame(
            {
                "index_code": pd.Series(dtype="str"),
                "trade_date": pd.Series(dtype="datetime64[us]"),
                "in_batch": pd.Series(dtype="bool"),
                "is_session": pd.Series(dtype="bool"),
            }
        )
    # Vectorised over every index at once (a backfill holds thousands): each index's expected
    # sessions are a tail of one session list, from its first date on.
    first = rows.groupby("index_code", sort=True)["trade_date"].min()
    sessions = pd.DatetimeIndex(sessions_between(first.min().date(), week_ending)).as_unit("us")
    starts = sessions.searchsorted(first.to_numpy()) if len(sessions) else np.zeros(len(first), dtype=int)
    counts = np.where(first.dt.date.to_numpy() <= week_ending, len(sessions) - starts, 0)
    picks = np.concatenate([np.arange(a, len(sessions)) for a, n in zip(starts, counts, strict=True) if n])
    expected = pd.DataFrame(
        {
            "index_code": np.repeat(first.index.to_numpy(), counts),
            "trade_date": sessions[picks.astype(int)] if len(picks) else sessions[:0],
            "in_batch": False,
        }
    )
    have = rows[["index_code", "trade_date"]].assign(in_batch=True)
    both = pd.concat([have, expected], ignore_index=True).astype({"trade_date": "datetime64[us]"})
    both = both.sort_values(["index_code", "trade_date", "in_batch"], ascending=[True, True, False], kind="stable")
    both = both.drop_duplicates(["index_code", "trade_date"]).reset_index(drop=True)
    days = both["trade_date"].drop_duplicates()
    flags = dict(zip(days, session_flags(list(days.dt.date)), strict=True))
    return both.assign(
        index_code=both["index_code"].astype("str"), is_session=both["trade_date"].map(flags).astype(bool)
    )


def daily_moves(batch: pd.DataFrame, known: Sequence[str] = INDEX_CODES) -> pd.DataFrame:
    """One row per index and date after its first: the close's move from the previous close."""
    rows = _usable(batch, known)
    rows = rows[pd.to_numeric(rows["close"], errors="coerce") > 0]
    prev = rows.groupby("index_code")[["trade_date", "close"]].shift(1)
    moves = rows.assign(prev_date=prev["trade_date"], prev_close=prev["close"]).dropna(subset=["prev_close"])
    moves = moves.assign(move=moves["close"] / moves["prev_close"] - 1)
    # For the sample line only: the move in percent, rounded, beside the exact fraction that is checked.
    moves = moves.assign(move_pct=(moves["move"] * 100).round(2))
    columns = ["index_code", "trade_date", "prev_date", "prev_close", "close", "move", "move_pct"]
    return moves.astype({"close": "float64", "prev_close": "float64", "move": "float64"})[columns].reset_index(
        drop=True
    )


def revisions(batch: pd.DataFrame, published: pd.DataFrame | None, known: Sequence[str] = INDEX_CODES) -> pd.DataFrame:
    """One row per (index, date) the lake already holds: the committed close (published_close) and the batch's."""
    rows = _usable(batch, known)
    rows = rows[pd.to_numeric(rows["close"], errors="coerce") > 0]  # a bad close is named by its own check
    if published is None or published.empty:
        published = pd.DataFrame({"index_code": [], "trade_date": pd.Series(dtype="datetime64[us]"), "close": []})
    pub = published.rename(columns={"close": "published_close"}).assign(
        index_code=lambda f: f["index_code"].astype("str"),
        trade_date=lambda f: pd.to_datetime(f["trade_date"]).astype("datetime64[us]"),
        published_close=lambda f: f["published_close"].astype("float64"),
    )[["index_code", "trade_date", "published_close"]]
    # Keys typed alike on both sides: a batch with no usable rows (a header-only file) has untyped columns.
    rows = rows.assign(
        index_code=rows["index_code"].astype("str"), trade_date=rows["trade_date"].astype("datetime64[us]")
    )
    both = rows.merge(pub, on=["index_code", "trade_date"], how="inner")
    both = both.assign(close=both["close"].astype("float64"))
    both = both.assign(change=both["close"] / both["published_close"] - 1)
    return both[["index_code", "trade_date", "published_close", "close", "change"]].reset_index(drop=True)


def after_end(batch: pd.DataFrame) -> pd.DataFrame:
    """One row per row the source left out because it is dated after the window's end (see from_long_text)."""
    rows = batch.attrs.get(AFTER_END) or []
    return pd.DataFrame(
        {
            "index_code": pd.Series([r["index_code"] for r in rows], dtype="str"),
            "trade_date": pd.to_datetime(pd.Series([r["trade_date"] for r in rows], dtype="str")).astype(
                "datetime64[us]"
            ),
        }
    )
