"""Replay of recorded source answers at the network boundary (no internet in tests).

Yahoo: yfinance's own `download` runs for real (its threading-free loop, error logging, the
(Price, Ticker) frame assembly); only `Ticker.history`, the per-symbol network fetch, is replaced by
a slice of the recorded download (tests/fixtures/yahoo_download.parquet) or by a fault.

FRED: a real httpx.Client sends real requests into httpx.MockTransport, whose handler answers with
the recorded CSV/JSON text (filtered by the request's own date parameters, as the service does) or a
fault (a timeout raised, a 429/5xx, an empty or truncated body).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx
import pandas as pd

FIXTURES = Path(__file__).parent / "fixtures"
YAHOO_FILE = FIXTURES / "yahoo_download.parquet"
FRED_CSV = {"SP500": FIXTURES / "fred_SP500.csv", "DJIA": FIXTURES / "fred_DJIA.csv"}
FRED_JSON = {"SP500": FIXTURES / "fred_api_SP500.json", "DJIA": FIXTURES / "fred_api_DJIA.json"}

# A fault replaces one answer. A Yahoo fault answers Ticker.history(symbol, start, end) (or raises
# there, as the network fetch would); an exception instead is raised by yf.download itself.
YahooFault = Callable[[str, str, str], pd.DataFrame] | BaseException
FredFault = Callable[[httpx.Request], httpx.Response]


def yahoo_recorded() -> pd.DataFrame:
    return pd.read_parquet(YAHOO_FILE)


def history_from_download(download: pd.DataFrame, symbol: str, start: str, end: str) -> pd.DataFrame:
    """What Ticker.history answered for one symbol: its columns, dates tz-aware in New York, [start, end)."""
    frame = download.xs(symbol, axis=1, level="Ticker").dropna(how="all")
    frame = frame[(frame.index >= pd.Timestamp(start)) & (frame.index < pd.Timestamp(end))]
    frame = frame[["Open", "High", "Low", "Close", "Adj Close", "Volume"]].rename_axis(columns=None)
    frame.index = frame.index.tz_localize("America/New_York")
    frame.index.name = "Date"
    return frame


class YahooReplay:
    """Counts yf.download calls (attempts); attempt n uses faults[n-1] if given, else the recording."""

    def __init__(self, recorded: pd.DataFrame | None = None) -> None:
        self.recorded = yahoo_recorded() if recorded is None else recorded
        self.faults: list[YahooFault | None] = []
        self.attempts = 0
        self.requests: list[tuple[str, str, str]] = []

    def always(self, fault: YahooFault) -> YahooReplay:
        self.faults = [fault] * 100
        return self

    def fault(self) -> YahooFault | None:
        n = self.attempts - 1
        return self.faults[n] if n < len(self.faults) else None

    def history(self, symbol: str, start: str, end: str) -> pd.DataFrame:
        """The recorded answer for one symbol."""
        from yfinance import utils

        if symbol not in set(self.recorded.columns.get_level_values("Ticker")):
            return utils.empty_df()
        return history_from_download(self.recorded, symbol, start, end)

    def install(self, monkeypatch) -> YahooReplay:  # noqa: ANN001
        import yfinance
        import yfinance.multi

        real_download = yfinance.multi.download  # never a replay installed earlier
        replay = self

        def download(*args, **kwargs):  # noqa: ANN002, ANN003
            replay.attempts += 1
            fault = replay.fault()
            if isinstance(fault, BaseException):
                raise fault
            return real_download(*args, **kwargs)

        class PriceHistory:
            _last_error = None

        class Ticker:
            def __init__(self, symbol: str) -> None:
                self.symbol = symbol
                self._price_history = PriceHistory()

            def history(self, start=None, end=None, **_: object) -> pd.DataFrame:  # noqa: ANN001
                replay.requests.append((self.symbol, str(start), str(end)))
                fault = replay.fault()
                if fault is not None:
                    return fault(self.symbol, str(start), str(end))
                return replay.history(self.symbol, str(start), str(end))

        monkeypatch.setattr(yfinance, "download", download)
        monkeypatch.setattr(yfinance.multi, "Ticker", Ticker)
        return self


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
