"""The faults a live source shows, on the wire, with the one line each must produce.

An expected line may hold {start} (the first day asked for) and {days} (the days in the answer).
Each Yahoo line is what yfinance 1.7 itself reports for that answer (its words, e.g. "possibly
delisted" for an empty window), prefixed with the source and the symbols.

Yahoo faults answer yfinance's chart requests in place of Yahoo (tests/replay.py): an HTTP status
with Yahoo's body, an edited chart JSON, or what `requests` raises for a network failure. yfinance
runs on them as it does live: its own retry after a refused request, its logging of failed symbols,
its parsing. The glitches reported against yfinance each have a fault here (null bars, today's live
bar, waves of HTTP 429, a bar shifted by a time zone, an empty result).
FRED faults are httpx answers (or transport exceptions) from the MockTransport.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import httpx
import pandas as pd
import requests

from tests.replay import JSON_TYPE, NEW_YORK, Answer, ChartRequest, YahooFault, not_found, ok

ALL = "yahoo ^RUO (R2000G), ^GSPC (SPX), ^DJI (DJIA)"
THREE = ("^RUO", "^GSPC", "^DJI")
READ_TIMEOUT = "HTTPSConnectionPool(host='query2.finance.yahoo.com', port=443): Read timed out. (read timeout=10)"
# Yahoo's answers when it refuses: the rate limit's plain text, the "down" page.
TOO_MANY = "Too Many Requests\r\n"
NO_PRICES = "possibly delisted; no price data found  (1d {start} -> 2025-12-13)"
DOWN_PAGE = "<!DOCTYPE html><html><head><title>Yahoo</title></head><body>Will be right back...</body></html>"


def _day(stamp: int) -> str:
    return pd.Timestamp(stamp, unit="s", tz="UTC").tz_convert(NEW_YORK).strftime("%Y-%m-%d")


def edit_bars(payload: dict | None, edit: Callable[[str, int], int | None]) -> dict | None:
    """The chart answer with each bar's timestamp passed through edit(day, stamp): a new stamp, or
    None to drop the bar."""
    if payload is None or "timestamp" not in payload["chart"]["result"][0]:
        return payload
    payload = copy.deepcopy(payload)
    result = payload["chart"]["result"][0]
    stamps = [edit(_day(t), t) for t in result["timestamp"]]
    keep = [i for i, t in enumerate(stamps) if t is not None]
    result["timestamp"] = [stamps[i] for i in keep]
    for columns in (result["indicators"]["quote"][0], result["indicators"]["adjclose"][0]):
        for name, values in columns.items():
            columns[name] = [values[i] for i in keep]
    return payload


def on(symbols: tuple[str, ...], fault: YahooFault, history_only: bool = True) -> YahooFault:
    """`fault` for the symbols' requests (by default only the window, not the time-zone probe)."""

    def answer(request: ChartRequest, payload: dict | None) -> Answer:
        if request.symbol in symbols and (request.history or not history_only):
            return fault(request, payload)
        return ok(payload, request.symbol)

    return answer


def status(code: int, body: str, content_type: str = "text/html;charset=utf-8") -> YahooFault:
    return lambda request, payload: (code, {"content-type": content_type}, body)


def yahoo_without(days: tuple[str, ...], symbols: tuple[str, ...]) -> YahooFault:
    drop = lambda day, stamp: None if day in days else stamp  # noqa: E731
    return on(symbols, lambda request, payload: ok(edit_bars(payload, drop)))


def yahoo_until(last: str, symbols: tuple[str, ...] = THREE) -> YahooFault:
    """Yahoo before it has published a session: the symbols' bars stop at `last`."""
    upto = lambda day, stamp: stamp if day <= last else None  # noqa: E731
    return on(symbols, lambda request, payload: ok(edit_bars(payload, upto)))


def yahoo_timeout() -> YahooFault:
    """Every request to Yahoo times out (cookie, crumb, chart, quote)."""

    def answer(request: ChartRequest | None, payload: dict | None) -> Answer:
        raise requests.exceptions.ReadTimeout(READ_TIMEOUT)

    answer.network = True  # type: ignore[attr-defined]
    return answer


def rate_limited() -> YahooFault:
    return on(THREE, status(429, TOO_MANY, "text/plain;charset=utf-8"), history_only=False)


def empty_result(error: bool) -> YahooFault:
    """chart.result null with Yahoo's error (HTTP 404), or an empty list without one (HTTP 200)."""
    if error:
        status_code, _, body = not_found("")
        return status(status_code, body, JSON_TYPE["content-type"])
    return status(200, json.dumps({"chart": {"result": [], "error": None}}), JSON_TYPE["content-type"])


YAHOO: dict[str, tuple[YahooFault, str]] = {
    # yfinance asks the quote page for a missing time zone for two symbols per process, and
    # reports the third as having none.
    # yfinance asks the quote page for a missing time zone for two symbols per process and then
    # stops: the first attempt names the timeout twice, later ones (YAHOO_LATER) once per symbol.
    "timeout": (
        yahoo_timeout(),
        f'{ALL}: ReadTimeout("{READ_TIMEOUT}"); possibly delisted; no timezone found: {READ_TIMEOUT}',
    ),
    "HTTP 429 (rate limited)": (
        rate_limited(),
        f"{ALL}: YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')",
    ),
    "HTTP 5xx (Yahoo down page)": (
        # yfinance recognises the down page but, hiding exceptions, reports an empty window.
        on(THREE, status(503, DOWN_PAGE)),
        f"{ALL}: {NO_PRICES}",
    ),
    "empty answer": (on(THREE, empty_result(error=False)), f"{ALL}: {NO_PRICES}"),
    "one symbol missing": (
        on(("^DJI",), empty_result(error=True)),
        "yahoo ^DJI (DJIA): No data found, symbol may be delisted",
    ),
    "partial answer": (
        yahoo_without(("2025-12-09", "2025-12-10"), symbols=("^RUO",)),
        "yahoo ^RUO (R2000G): partial answer, no close on 2 of {days} days (2025-12-09, 2025-12-10)",
    ),
    "yfinance error": (
        on(THREE, empty_result(error=True), history_only=False),
        f'{ALL}: YFException("Failed to parse json response from Yahoo Finance: '
        "{{'code': 'Not Found', 'description': 'HTTP 404 Not Found'}}\"); possibly delisted; no timezone found",
    ),
    "yfinance raises": (KeyError("chart"), f"{ALL}: yfinance error KeyError: 'chart'"),
}
# The line of the last attempt where it differs from the first's (yfinance keeps state per process).
YAHOO_LATER: dict[str, str] = {
    "timeout": f"{ALL}: possibly delisted; no timezone found: {READ_TIMEOUT}",
    "yfinance error": f"{ALL}: possibly delisted; no timezone found",
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


# --- Glitches reported against yfinance, as Yahoo sent them --------------------------------------


def null_bars(days: tuple[str, ...], symbols: tuple[str, ...] = ("^GSPC",), close_only: bool = False) -> YahooFault:
    """Bars present with null prices (and volume) on `days`: Yahoo's null OHLC rows for ^GSPC."""

    def answer(request: ChartRequest, payload: dict | None) -> Answer:
        payload = copy.deepcopy(payload)
        result = payload["chart"]["result"][0]
        nulls = [i for i, t in enumerate(result.get("timestamp", [])) if _day(t) in days]
        quote = result["indicators"]["quote"][0]
        for name in ("close",) if close_only else ("open", "high", "low", "close", "volume"):
            for i in nulls:
                quote[name][i] = None
        for i in nulls:
            result["indicators"]["adjclose"][0]["adjclose"][i] = None
        return ok(payload)

    return on(symbols, answer)


def live_bar(now: pd.Timestamp, price: float, symbols: tuple[str, ...] = THREE) -> YahooFault:
    """During the session Yahoo appends today's live bar, stamped at the last trade
    (regularMarketTime), to the window's answer: even when period2 ends before today."""

    def answer(request: ChartRequest, payload: dict | None) -> Answer:
        payload = copy.deepcopy(payload)
        result = payload["chart"]["result"][0]
        stamp = int(now.timestamp())
        result.setdefault("timestamp", []).append(stamp)
        quote = result["indicators"]["quote"][0]
        for name in ("open", "high", "low", "close"):
            quote.setdefault(name, []).append(price)
        quote.setdefault("volume", []).append(1_234_567)
        result["indicators"]["adjclose"][0].setdefault("adjclose", []).append(price)
        session = now.normalize()
        result["meta"].update(regularMarketTime=stamp, regularMarketPrice=price)
        result["meta"]["currentTradingPeriod"]["regular"].update(
            start=int((session + pd.Timedelta(hours=9, minutes=30)).timestamp()),
            end=int((session + pd.Timedelta(hours=16)).timestamp()),
        )
        return ok(payload)

    return on(symbols, answer)


def shifted(day: str, symbols: tuple[str, ...] = ("^RUO",), hours: int = 0) -> YahooFault:
    """The bar of `day` stamped at 00:00 UTC of that day (+ hours) instead of 09:30 New York: at
    00:00 UTC it is the evening before in New York, so the bar lands on the previous day."""
    stamp = int(pd.Timestamp(day, tz="UTC").timestamp()) + hours * 3600
    return on(symbols, lambda request, payload: ok(edit_bars(payload, lambda d, t: stamp if d == day else t)))
