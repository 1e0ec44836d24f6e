"""Yahoo Finance through yfinance: unadjusted daily closes of ^RUO, ^GSPC and ^DJI.

yf.download never raises on a failed ticker: it logs the cause on the `yfinance` logger and
returns NaN (or no rows at all). So every answer is checked here, and the logged causes are kept
to name them in the error.
"""

from __future__ import annotations

import ast
import logging
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd

from smallcap.calendar import last_final_day
from smallcap.errors import SourceError, TransientSourceError
from smallcap.sources.batch import from_long_text
from smallcap.universe import current, read

# The shipped universe's symbols; a run's come from its universe file (symbols.yahoo).
SYMBOLS: dict[str, str] = read().symbols("yahoo")

# yfinance's summary line after a failed download: "['^RUO', '^DJI']: YFRateLimitError('Too Many ...')"
_FAILED = re.compile(r"^(\[.*?\]): (.+)$", re.DOTALL)
# Logged before it when the symbol's time-zone request fails: the only place the network cause
# (a timeout, a refused connection) is named once yfinance has stopped retrying the quote page.
_TZ_FAILED = re.compile(r"^Failed to get ticker '(.+?)' reason: (.+)$", re.DOTALL)
_NO_TZ = "no timezone found"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.causes: dict[str, str] = {}
        self.tz_reasons: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().strip()
        tz_failed = _TZ_FAILED.match(message)
        if tz_failed:
            self.tz_reasons[tz_failed.group(1)] = tz_failed.group(2).strip()
            return
        match = _FAILED.match(message)
        if not match:
            return
        try:
            symbols = ast.literal_eval(match.group(1))
        except (ValueError, SyntaxError):
            return
        for symbol in symbols:
            cause = match.group(2).strip()
            if cause.endswith(_NO_TZ) and str(symbol) in self.tz_reasons:
                cause = f"{cause}: {self.tz_reasons[str(symbol)]}"
            self.causes[str(symbol)] = cause


@contextmanager
def _yfinance_errors() -> Iterator[dict[str, str]]:
    handler = _Collect()
    logger = logging.getLogger("yfinance")
    logger.addHandler(handler)
    try:
        yield handler.causes
    finally:
        logger.removeHandler(handler)


def _label(symbols: Sequence[str]) -> str:
    codes = {s: c for c, s in current().symbols("yahoo").items()}
    return ", ".join(f"{s} ({codes.get(s, '?')})" for s in symbols)


def closes_from_download(raw: pd.DataFrame | None, symbols: Sequence[str], causes: dict[str, str]) -> pd.DataFrame:
    """Check yf.download's (Price, Ticker) frame and return its closes as one column per symbol.

    Raises TransientSourceError for an empty answer, a symbol without closes, or a symbol with a
    gap before its own last close (a partial answer). A symbol whose closes merely stop earlier than
    another's is kept as is: that session is not published yet, which the freshness wait handles.
    """
    if raw is None or raw.empty or not isinstance(raw.columns, pd.MultiIndex) or "Close" not in raw.columns.unique(0):
        why = "; ".join(sorted(set(causes.values()))) or "empty answer (no rows)"
        raise TransientSourceError(f"yahoo {_label(symbols)}: {why}")
    closes = raw["Close"]
    empty = [s for s in symbols if s not in closes or closes[s].isna().all()]
    if empty:
        why = "; ".join(sorted({causes.get(s, "") for s in empty} - {""})) or "no closes in the answer"
        raise TransientSourceError(f"yahoo {_label(empty)}: {why}")
    for symbol in symbols:
        column = closes[symbol]
        last = column.last_valid_index()
        gaps = column.index[column.isna() & (column.index < last)]
        if len(gaps):
            days = ", ".join(f"{d:%Y-%m-%d}" for d in gaps[:5]) + (" …" if len(gaps) > 5 else "")
            raise TransientSourceError(
                f"yahoo {_label([symbol])}: partial answer, no close on {len(gaps)} of {len(column)} days ({days})"
            )
    return closes[list(symbols)]


def _download(symbols: list[str], start: date, end_exclusive: date) -> pd.DataFrame | None:
    import yfinance as yf
    from yfinance.data import YfData

    # yfinance keeps its answers for windows in the past for the whole process (a failed one
    # too): a retry in the same process must ask Yahoo again.
    YfData.cache_get.cache_clear()
    # yfinance 1.7 warns about pandas deprecations of its own on every call; not ours to fix.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return yf.download(
            symbols,
            start=start.isoformat(),
            end=end_exclusive.isoformat(),
            interval="1d",
            auto_adjust=False,  # unadjusted closes: what the index published
            actions=False,
            progress=False,
            threads=False,
        )


class YahooSource:
    name = "yahoo"
    origin: Path | None = None

    def __init__(
        self, codes: Sequence[str] | None = None, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.symbols = current().symbols("yahoo")
        self.codes = tuple(codes or self.symbols)
        unknown = [c for c in self.codes if c not in self.symbols]
        if unknown:
            raise SourceError(f"Yahoo Finance source has no symbol for {', '.join(unknown)}")
        self.now = now

    def extract(self, start: date, end: date) -> pd.DataFrame:
        # Never take today's row before the close: during the session it is a live price, not a close.
        end = min(end, last_final_day(self.now()))
        if end < start:
            raise SourceError(f"yahoo: empty window {start} to {end}")
        symbols = [self.symbols[c] for c in self.codes]
        with _yfinance_errors() as causes:
            try:
                # yfinance's end is exclusive: ask for the day after the last one wanted.
                raw = _download(symbols, start, end + timedelta(days=1))
            except Exception as exc:  # noqa: BLE001  (any yfinance failure is worth another try)
                raise TransientSourceError(
                    f"yahoo {_label(symbols)}: yfinance error {type(exc).__name__}: {exc}"
                ) from None
        closes = closes_from_download(raw, symbols, causes)
        codes = {s: c for c, s in self.symbols.items()}
        long = closes.rename_axis("date").reset_index()
        long = long.melt(id_vars="date", var_name="source_symbol", value_name="close").dropna(subset=["close"])
        text = pd.DataFrame(
            {
                "date": pd.to_datetime(long["date"]).dt.strftime("%Y-%m-%d"),
                "index_code": long["source_symbol"].map(codes),
                # Yahoo stores closes as float32 (6836.169921875); indices publish two decimals.
                "close": long["close"].round(2),
                "source_symbol": long["source_symbol"],
            }
        )
        batch = from_long_text(text, self.name, start, end)
        return batch.sort_values(["index_code", "trade_date"], kind="stable").reset_index(drop=True)

    def latest_date(self) -> date:
        return last_final_day(self.now())


def fund_history(symbol: str, start: date, end: date) -> tuple[pd.Series, set[date]]:
    """A fund's unadjusted daily closes in [start, end] (by session date) and its dividend days."""
    import yfinance as yf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = yf.Ticker(symbol).history(
            start=start.isoformat(), end=(end + timedelta(days=1)).isoformat(), auto_adjust=False, actions=True
        )
    if frame is None or frame.empty or frame["Close"].isna().all():
        raise TransientSourceError(f"yahoo {symbol}: no closes for the tracking check")
    days = pd.DatetimeIndex(frame.index).tz_localize(None).normalize()
    closes = pd.Series(frame["Close"].to_numpy(), index=days, name=symbol)
    paid = frame["Dividends"].to_numpy() > 0 if "Dividends" in frame else []
    return closes, {d.date() for d, p in zip(days, paid, strict=False) if p}
