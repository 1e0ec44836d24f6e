"""The shape every source hands to the gate: one row per index and trading date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

NEW_YORK = ZoneInfo("America/New_York")

# Columns of an extracted batch, in order. trade_date is the exchange-local session date.
COLUMNS: tuple[str, ...] = ("index_code", "trade_date", "close", "source", "source_symbol", "extracted_at")

# The batch's `attrs` key for the rows a source left out because they are dated after the window's
# end (a weekly run's week): the gate names them in a warning rather than drop them without a word.
AFTER_END = "rows_after_end"
# Likewise the rows dated before the window's start (a weekly run's lookback): only counted, with
# their first and last day, since a long history holds thousands of them.
BEFORE_START = "rows_before_start"


def from_long_text(raw: pd.DataFrame, source: str, start: date, end: date, today: date | None = None) -> pd.DataFrame:
    """Turn a long text table (`date,index_code,close[,source_symbol]`) into a batch.

    Parsing is deliberately lenient: an unreadable date or close becomes null so the gate can
    name it, rather than failing here with a parser error. Unknown columns are kept so the gate
    can report them; rows with an unreadable date are kept for the same reason, and so are rows
    dated after `today` (New York), which no window would otherwise let through to be named.
    Rows dated after `end` (and not in the future) are left out of the batch but listed in
    `batch.attrs[AFTER_END]` (index_code, trade_date as text), for the gate's warning; rows dated
    before `start` are left out and counted in `batch.attrs[BEFORE_START]` (see `left_out_before`).
    """
    frame = raw.rename(columns={"date": "trade_date"}).copy()
    if "trade_date" in frame:
        frame["trade_date"] = pd.to_datetime(frame["trade_date"], format="%Y-%m-%d", errors="coerce")
        in_window = frame["trade_date"].between(pd.Timestamp(start), pd.Timestamp(end))
        future = frame["trade_date"] > pd.Timestamp(today or datetime.now(NEW_YORK).date())
        after = frame[(frame["trade_date"] > pd.Timestamp(end)) & ~future]
        before = frame["trade_date"][frame["trade_date"] < pd.Timestamp(start)]
        frame = frame[in_window | future | frame["trade_date"].isna()]
        after_end = [
            {
                "index_code": str(r.get("index_code", "")).strip(),
                "trade_date": r["trade_date"].date().isoformat(),
            }
            for r in after.to_dict("records")
        ]
        before_start = (
            {
                "rows": len(before),
                "first": before.min().date().isoformat(),
                "last": before.max().date().isoformat(),
                "start": start.isoformat(),
            }
            if len(before)
            else None
        )
    else:
        after_end, before_start = [], None
    if "close" in frame:
        frame["close"] = pd.to_numeric(frame["close"], errors="coerce").astype("float64")
    if "index_code" in frame:
        frame["index_code"] = frame["index_code"].astype("str").str.strip()
        if "source_symbol" not in frame:
            frame["source_symbol"] = frame["index_code"]
    frame["source"] = source
    frame["extracted_at"] = pd.Timestamp(datetime.now(UTC))
    known = [c for c in COLUMNS if c in frame]
    extra = [c for c in frame.columns if c not in COLUMNS]
    batch = frame[known + extra].reset_index(drop=True)
    # Plain JSON-able values: attrs travel with the frame.
    batch.attrs = {AFTER_END: after_end, BEFORE_START: before_start}
    return batch


def left_out_before(batch: pd.DataFrame) -> str | None:
    """The line naming the rows a weekly run left out as older than its lookback window, if any."""
    before = batch.attrs.get(BEFORE_START)
    if not before:
        return None
    return (
        f"{before['rows']} row(s) dated {before['first']} to {before['last']} are before this run's lookback window "
        f"(from {before['start']}, SMALLCAP_LOOKBACK_DAYS) and were left out, not landed: to land them, run "
        f"`smallcap backfill --start {before['first']}`"
    )
