"""The faults a live source shows, as the libraries raise them, with the one line each must produce.

An expected line may hold {start} (the first day asked for) and {days} (the days in the answer).

Yahoo faults stand in for Ticker.history (yfinance's per-symbol network fetch) and raise what
yfinance 1.7 raises there; yfinance's own download then logs and swallows them, as it does live.
FRED faults are httpx answers (or transport exceptions) from the MockTransport.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import httpx
import pandas as pd
from curl_cffi.requests.exceptions import Timeout
from yfinance import exceptions as yfe
from yfinance import utils

from tests.replay import YahooFault, history_from_download, yahoo_recorded

ALL = "yahoo ^RUO (R2000G), ^GSPC (SPX), ^DJI (DJIA)"
CURL_TIMEOUT = (
    "Failed to perform, curl: (28) Operation timed out after 10002 milliseconds with 0 bytes received. "
    "See https://curl.se/libcurl/c/libcurl-errors.html first for more details."
)


@cache
def _recorded() -> pd.DataFrame:
    return yahoo_recorded()


def _history(symbol: str, start: str, end: str) -> pd.DataFrame:
    return history_from_download(_recorded(), symbol, start, end)


def yahoo_raises(make: Callable[[str], BaseException], symbols: tuple[str, ...] | None = None) -> YahooFault:
    def fault(symbol: str, start: str, end: str) -> pd.DataFrame:
        if symbols is None or symbol in symbols:
            raise make(symbol)
        return _history(symbol, start, end)

    return fault


def yahoo_without(days: tuple[str, ...], symbols: tuple[str, ...]) -> YahooFault:
    def fault(symbol: str, start: str, end: str) -> pd.DataFrame:
        frame = _history(symbol, start, end)
        if symbol in symbols:
            frame = frame[~frame.index.strftime("%Y-%m-%d").isin(days)]
        return frame

    return fault


def yahoo_until(last: str, symbols: tuple[str, ...] = ("^RUO", "^GSPC", "^DJI")) -> YahooFault:
    """Yahoo before it has published a session: the symbols' closes stop at `last`."""

    def fault(symbol: str, start: str, end: str) -> pd.DataFrame:
        frame = _history(symbol, start, end)
        if symbol in symbols:
            frame = frame[frame.index.strftime("%Y-%m-%d") <= last]
        return frame

    return fault


def yahoo_timeout() -> YahooFault:
    return yahoo_raises(lambda s: Timeout(CURL_TIMEOUT))


YAHOO: dict[str, tuple[YahooFault, str]] = {
    "timeout": (yahoo_timeout(), f"{ALL}: Timeout('{CURL_TIMEOUT}')"),
    "HTTP 429 (rate limited)": (
        yahoo_raises(lambda s: yfe.YFRateLimitError()),
        f"{ALL}: YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')",
    ),
    "HTTP 5xx (Yahoo down page)": (
        yahoo_raises(lambda s: yfe.YFDataException("*** YAHOO! FINANCE IS CURRENTLY DOWN! ***")),
        f"{ALL}: YFDataException('*** YAHOO! FINANCE IS CURRENTLY DOWN! ***')",
    ),
    "empty answer": (lambda symbol, start, end: utils.empty_df(), f"{ALL}: empty answer (no rows)"),
    "one symbol missing": (
        yahoo_raises(lambda s: yfe.YFPricesMissingError(s, "(1d 2025-12-01 -> 2025-12-13)"), symbols=("^DJI",)),
        "yahoo ^DJI (DJIA): YFPricesMissingError('possibly delisted; no price data found "
        "(1d 2025-12-01 -> 2025-12-13)')",
    ),
    "partial answer": (
        yahoo_without(("2025-12-09", "2025-12-10"), symbols=("^RUO",)),
        "yahoo ^RUO (R2000G): partial answer, no close on 2 of {days} days (2025-12-09, 2025-12-10)",
    ),
    "yfinance error": (
        yahoo_raises(lambda s: yfe.YFTzMissingError(s)),
        f"{ALL}: YFTzMissingError('possibly delisted; no timezone found')",
    ),
    "yfinance raises": (KeyError("chart"), f"{ALL}: yfinance error KeyError: 'chart'"),
}


def not_replayed(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"network not replayed: {request.url}")


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("The read operation timed out", request=request)


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def _truncated(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="observation_date,SP500\n2025-12-01,6812.63\n2025-12-02,6829.37\n2025-12-0")


SP = "fred SP500 (SPX)"
FRED: dict[str, tuple[Callable[[httpx.Request], httpx.Response], str]] = {
    "timeout": (_timeout, f"{SP}: timed out after 30 s (ReadTimeout)"),
    "connection refused": (_refused, f"{SP}: network error ConnectError: [Errno 111] Connection refused"),
    "HTTP 429": (lambda r: httpx.Response(429, text="Too Many Requests"), f"{SP}: HTTP 429 Too Many Requests"),
    "HTTP 500": (lambda r: httpx.Response(500, text="oops"), f"{SP}: HTTP 500 Internal Server Error"),
    "HTTP 503": (lambda r: httpx.Response(503, text="<html>down</html>"), f"{SP}: HTTP 503 Service Unavailable"),
    "empty body": (lambda r: httpx.Response(200, text=""), f"{SP}: not a FRED CSV of SP500: empty body"),
    "no observations": (
        lambda r: httpx.Response(200, text="observation_date,SP500\n"),
        f"{SP}: empty answer: no observations from {{start}} to 2025-12-12",
    ),
    "partial answer (cut off)": (
        _truncated,
        f"{SP}: partial answer: 1 unreadable row(s), e.g. date='2025-12-0' value=''",
    ),
    "HTML instead of CSV": (
        lambda r: httpx.Response(200, text="<!DOCTYPE html>\n<html><body>Maintenance</body></html>"),
        f"{SP}: not a FRED CSV of SP500: starts with '<!DOCTYPE html>'",
    ),
}
