"""Replay of recorded source answers at the network boundary (no internet in tests).

Yahoo: the whole of yfinance runs (its cookie and crumb requests, the chart request, JSON parsing,
time zones, its live-bar and duplicate handling, the (Price, Ticker) frame assembly). Its HTTP goes
through `requests` (tests/conftest.py sets YF_DISABLE_CURL_CFFI=1 before yfinance is imported), and
`responses` answers every request: fc.yahoo.com's cookie, the crumb, and the chart endpoint with the
wire answers in tests/fixtures/yahoo_chart_*.json cut to the request's own period1/period2, as
Yahoo does, or a fault (tests/faults.py). yfinance's process-wide state (its session singleton,
request cache and on-disk time-zone and cookie caches) is reset at each install: every test starts
as a first run on a fresh machine.

FRED: a real httpx.Client sends real requests into httpx.MockTransport, whose handler answers with
the recorded CSV/JSON text (filtered by the request's own date parameters, as the service does) or a
fault (a timeout raised, a 429/5xx, an empty or truncated body).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
import pandas as pd

FIXTURES = Path(__file__).parent / "fixtures"
YAHOO_SYMBOLS = ("^RUO", "^GSPC", "^DJI")
FRED_CSV = {"SP500": FIXTURES / "fred_SP500.csv", "DJIA": FIXTURES / "fred_DJIA.csv"}
FRED_JSON = {"SP500": FIXTURES / "fred_api_SP500.json", "DJIA": FIXTURES / "fred_api_DJIA.json"}
NEW_YORK = "America/New_York"

CHART = re.compile(r"https://query[12]\.finance\.yahoo\.com/v8/finance/chart/(?P<symbol>[^/?]+)")
CRUMB = "Xq7bGQ0pZ3d"  # any short token: yfinance sends back whatever getcrumb answered
YAHOO_HOSTS = re.compile(r"https://([a-z0-9-]+\.)*yahoo\.com(/.*)?$")
JSON_TYPE = {"content-type": "application/json;charset=utf-8"}

# An answer on the wire: status, headers, body. A fault may also raise what `requests` raises
# (requests.exceptions.ReadTimeout, ConnectionError): yfinance sees it as from the network.
Answer = tuple[int, dict[str, str], str]


@dataclass(frozen=True)
class ChartRequest:
    """One request to the chart endpoint, as Yahoo receives it."""

    symbol: str
    params: dict[str, str]
    attempt: int  # the source's attempt (yf.download call) the request belongs to

    @property
    def history(self) -> bool:
        # yfinance first asks range=1d (the symbol's time zone), then the window by period1/period2.
        return "period1" in self.params

    def day(self, key: str) -> str:
        return pd.Timestamp(int(self.params[key]), unit="s", tz="UTC").tz_convert(NEW_YORK).strftime("%Y-%m-%d")


# A fault answers one chart request in place of Yahoo: given the request and Yahoo's answer to it
# (the recording cut to the request; None for a symbol Yahoo does not know).
# A fault marked `network = True` answers every request to Yahoo's API hosts (the network is down),
# given a ChartRequest only for the chart endpoint. An exception instead is raised by yf.download
# itself, which the wire cannot make happen (yfinance catches and logs every per-symbol failure).
YahooFault = Callable[[ChartRequest | None, dict | None], Answer] | BaseException
FredFault = Callable[[httpx.Request], httpx.Response]


def chart_file(symbol: str) -> Path:
    return FIXTURES / f"yahoo_chart_{symbol.lstrip('^')}.json"


@cache
def _chart_text(symbol: str) -> str | None:
    path = chart_file(symbol)
    return path.read_text(encoding="utf-8") if path.exists() else None


def yahoo_chart(symbol: str) -> dict | None:
    """The recorded chart answer of one symbol over the whole recording (a fresh copy)."""
    text = _chart_text(symbol)
    return None if text is None else json.loads(text)


def cut(payload: dict, keep: Callable[[int], bool]) -> dict:
    """The chart answer with only the bars whose timestamp `keep` accepts. Without bars Yahoo sends
    the meta and empty indicators, and no timestamp list at all."""
    payload = copy.deepcopy(payload)
    result = payload["chart"]["result"][0]
    stamps = result.get("timestamp", [])
    index = [i for i, t in enumerate(stamps) if keep(t)]
    quote = result["indicators"]["quote"][0]
    adj = result["indicators"].get("adjclose", [{}])[0]
    if not index:
        result.pop("timestamp", None)
        result["indicators"] = {"quote": [{}], "adjclose": [{}]}
        return payload
    result["timestamp"] = [stamps[i] for i in index]
    for columns in (quote, adj):
        for name, values in columns.items():
            columns[name] = [values[i] for i in index]
    return payload


def answer_for(request: ChartRequest, payload: dict | None) -> dict | None:
    """Yahoo's answer to a chart request: the window [period1, period2), or range=1d's last bar."""
    if payload is None:
        return None
    if request.history:
        lo, hi = int(request.params["period1"]), int(request.params["period2"])
        return cut(payload, lambda t: lo <= t < hi)
    last = payload["chart"]["result"][0]["timestamp"][-1]
    return cut(payload, lambda t: t == last)


def not_found(symbol: str) -> Answer:
    error = {"code": "Not Found", "description": "No data found, symbol may be delisted"}
    return 404, JSON_TYPE, json.dumps({"chart": {"result": None, "error": error}})


def ok(payload: dict | None, symbol: str = "") -> Answer:
    return not_found(symbol) if payload is None else (200, JSON_TYPE, json.dumps(payload, separators=(",", ":")))


class YahooReplay:
    """Yahoo on the wire. Counts the source's attempts (yf.download calls, observed, not replaced);
    attempt n answers its chart requests with faults[n-1] if given, else the recording."""

    def __init__(self, charts: dict[str, dict] | None = None) -> None:
        # symbol -> chart answer over the whole recording; a symbol not here is unknown to Yahoo.
        self.charts = charts if charts is not None else {s: yahoo_chart(s) for s in YAHOO_SYMBOLS}
        self.faults: list[YahooFault | None] = []
        self.attempts = 0
        self.requests: list[tuple[str, str, str]] = []  # (symbol, first day, day after the last) per history request
        self.chart_requests: list[ChartRequest] = []
        self.urls: list[str] = []  # every URL yfinance asked for, in order

    def always(self, fault: YahooFault) -> YahooReplay:
        self.faults = [fault] * 100
        return self

    def fault(self) -> YahooFault | None:
        n = self.attempts - 1
        return self.faults[n] if 0 <= n < len(self.faults) else None

    def install(self, monkeypatch) -> YahooReplay:  # noqa: ANN001
        import requests
        import responses
        import yfinance
        from yfinance import _http, base, cache, data

        if _http.HAS_CURL_CFFI:
            raise RuntimeError("yfinance uses curl_cffi: set YF_DISABLE_CURL_CFFI=1 before it is imported")
        # A fresh yfinance, as a new process on a new machine: new session, cookie and crumb; no
        # cached answers (its request cache would otherwise answer a later test from an earlier one).
        monkeypatch.setattr(data.SingletonMeta, "_instances", {})
        monkeypatch.setattr(base, "_tz_info_fetch_ctr", 0)  # how often it may ask the quote page for a time zone
        data.YfData.cache_get.cache_clear()
        monkeypatch.setattr(cache._TzCacheManager, "_tz_cache", cache._TzCacheDummy())
        monkeypatch.setattr(cache._CookieCacheManager, "_Cookie_cache", cache._CookieCacheDummy())

        import yfinance.multi

        real_download = yfinance.multi.download  # never a replay's counter installed earlier
        replay = self

        def download(*args, **kwargs):  # noqa: ANN002, ANN003
            replay.attempts += 1
            fault = replay.fault()
            if isinstance(fault, BaseException):  # yfinance itself failing, not the network
                raise fault
            return real_download(*args, **kwargs)

        monkeypatch.setattr(yfinance, "download", download)

        # One callback for every Yahoo host (responses drops the first of several matching entries
        # after one use); other hosts are not answered, so such a request fails as unreachable.
        wire = responses.RequestsMock(assert_all_requests_are_fired=False)
        for method in (responses.GET, responses.POST):
            wire.add_callback(method, YAHOO_HOSTS, callback=self._answer)
        # responses patches requests' HTTPAdapter.send; the monkeypatch undoes it at the test's end.
        monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", requests.adapters.HTTPAdapter.send)
        wire.start()
        return self

    def _answer(self, request) -> Answer:  # noqa: ANN001
        self.urls.append(request.url)
        host = urlsplit(request.url).hostname
        fault = self.fault()
        # Not fc.yahoo.com: yfinance 1.7's `requests` fallback fails on any error there (it catches
        # curl_cffi's DNSError, which `requests` lacks), which curl_cffi, the production path, does not.
        if getattr(fault, "network", False) and host != "fc.yahoo.com" and not CHART.match(request.url):
            return fault(None, None)
        if host == "fc.yahoo.com":
            return self._cookie()
        if CHART.match(request.url):
            return self._chart(request)
        if request.url.split("?")[0].endswith("/v1/test/getcrumb"):
            return 200, {"content-type": "text/plain;charset=utf-8"}, CRUMB
        if "/finance/quoteSummary/" in request.url:
            # yfinance asks the quote page for a time zone the chart did not give; not recorded.
            symbol = unquote(urlsplit(request.url).path.rsplit("/", 1)[-1])
            error = {"code": "Not Found", "description": f"Quote not found for symbol: {symbol}"}
            return 404, JSON_TYPE, json.dumps({"quoteSummary": {"result": None, "error": error}})
        if host and host.startswith("query"):  # other API endpoints (quote, timeseries): not recorded
            error = {"code": "Not Found", "description": "HTTP 404 Not Found"}
            return 404, JSON_TYPE, json.dumps({"finance": {"result": None, "error": error}})
        # Consent pages and other pages are not part of the daily closes: Yahoo's 404 page.
        return 404, {"content-type": "text/html"}, "<html><body>Not Found</body></html>"

    def _cookie(self) -> Answer:
        # fc.yahoo.com answers 404 and sets the A3 cookie for .yahoo.com, which yfinance keeps.
        cookie = "A3=d=AQABBLtQZ2cCE; Max-Age=31557600; Domain=.yahoo.com; Path=/; SameSite=None; Secure; HttpOnly"
        return 404, {"Set-Cookie": cookie, "content-type": "text/html"}, "<html><body>Not Found</body></html>"

    def _chart(self, request) -> Answer:  # noqa: ANN001
        parts = urlsplit(request.url)
        symbol = unquote(CHART.match(request.url)["symbol"])
        chart = ChartRequest(symbol, dict(parse_qsl(parts.query)), self.attempts)
        self.chart_requests.append(chart)
        if chart.history:
            self.requests.append((symbol, chart.day("period1"), chart.day("period2")))
        payload = answer_for(chart, self.charts.get(symbol))
        fault = self.fault()
        return fault(chart, payload) if fault is not None else ok(payload, symbol)


class FredReplay:
    """Counts requests (per series too); request n uses faults[n-1] if given, else the recording."""

    def __init__(self, edit: Callable[[str, str], str] | None = None) -> None:
        self.faults: list[FredFault | None] = []
        self.calls: dict[str, int] = {}
        self.urls: list[httpx.URL] = []
        self.edit = edit or (lambda series, text: text)

    def always(self, fault: FredFault) -> FredReplay:
        self.faults = [fault] * 100
        return self

    def install(self, monkeypatch) -> FredReplay:  # noqa: ANN001
        from smallcap.sources.fred import FredSource

        monkeypatch.setattr(FredSource, "transport", httpx.MockTransport(self.handle))
        return self

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(request.url)
        params = request.url.params
        series = params.get("id") or params.get("series_id", "")
        self.calls[series] = self.calls.get(series, 0) + 1
        n = len(self.urls) - 1
        fault = self.faults[n] if n < len(self.faults) else None
        if fault is not None:
            return fault(request)
        if request.url.host == "api.stlouisfed.org":
            return self._api(series, params)
        if series not in FRED_CSV:
            return httpx.Response(404, text="<!DOCTYPE html><html><title>404 Not Found</title></html>")
        lines = FRED_CSV[series].read_text(encoding="utf-8").splitlines()
        cosd, coed = params.get("cosd", "0000"), params.get("coed", "9999")
        body = [lines[0]] + [line for line in lines[1:] if cosd <= line[:10] <= coed]
        text = self.edit(series, "\n".join(body) + "\n")
        return httpx.Response(200, text=text, headers={"content-type": "text/csv"})

    def _api(self, series: str, params: httpx.QueryParams) -> httpx.Response:
        if series not in FRED_JSON:
            return httpx.Response(
                400, json={"error_code": 400, "error_message": "Bad Request.  The series does not exist."}
            )
        payload = json.loads(FRED_JSON[series].read_text(encoding="utf-8"))
        lo, hi = params.get("observation_start", "0000"), params.get("observation_end", "9999")
        payload["observations"] = [o for o in payload["observations"] if lo <= o["date"] <= hi]
        payload.update(observation_start=lo, observation_end=hi, count=len(payload["observations"]))
        return httpx.Response(200, json=payload)


def fred_value(series: str, day: date) -> str:
    for line in FRED_CSV[series].read_text(encoding="utf-8").splitlines():
        if line.startswith(day.isoformat()):
            return line.split(",")[1]
    raise KeyError(day)
