"""FRED (St. Louis Fed): daily closes of the S&P 500 (SP500) and the Dow (DJIA).

Without a key it reads the public graph CSV download; with a key it uses the FRED API. The key
is SMALLCAP_FRED_API_KEY, or one passed in by the caller (the run's extract task reads it from the
Prefect Secret block named by SMALLCAP_FRED_API_KEY_BLOCK: smallcap itself does not use Prefect). The key is sent
only as the API's query parameter and is masked in every log line and error message.
FRED carries no Russell 2000 Growth series.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import httpx
import pandas as pd

from smallcap.errors import SourceError, TransientSourceError
from smallcap.sources.batch import from_long_text
from smallcap.universe import current, read

# The shipped universe's series; a run's come from its universe file (symbols.fred).
SERIES: dict[str, str] = read().symbols("fred")
CSV_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
API_URL = "https://api.stlouisfed.org/fred/series/observations"
MISSING = {"", "."}  # FRED marks a day without a value (a holiday) either way


class _Redact(logging.Filter):
    """Masks a secret in log records of the HTTP client (httpx logs every request URL)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, "***"), ()
        return True


def api_key_from_settings() -> str | None:
    """SMALLCAP_FRED_API_KEY, if set and not empty."""
    from smallcap.settings import Settings

    settings = Settings()
    if settings.fred_api_key is not None:
        return settings.fred_api_key.get_secret_value() or None
    return None


def parse_graph_csv(text: str, series: str) -> pd.DataFrame:
    """fredgraph.csv text (`observation_date,SP500`; older files `DATE,SP500`) → date, value strings."""
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError):
        frame = pd.DataFrame()
    columns = list(frame.columns)
    if len(columns) != 2 or columns[0] not in ("observation_date", "DATE") or columns[1] != series:
        what = f"starts with {text.strip().splitlines()[0][:60]!r}" if text.strip() else "empty body"
        raise TransientSourceError(f"not a FRED CSV of {series}: {what}")
    return frame.set_axis(["date", "value"], axis=1)


def parse_api_json(payload: object, series: str) -> pd.DataFrame:
    """FRED API observations JSON → date, value strings."""
    if not isinstance(payload, dict) or not isinstance(payload.get("observations"), list):
        raise TransientSourceError(f"not a FRED API answer for {series}")
    rows = [(o.get("date", ""), o.get("value", "")) for o in payload["observations"] if isinstance(o, dict)]
    return pd.DataFrame(rows, columns=["date", "value"], dtype=str)


def observations(frame: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Keep the days in [start, end] that have a value; a garbled row means the answer is partial."""
    dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    missing = frame["value"].str.strip().isin(MISSING)
    numbers = pd.to_numeric(frame["value"].where(~missing), errors="coerce")
    # A cut-off body ends in a half row ("2025-12-1"): an unreadable date or value means a partial answer.
    bad = frame[dates.isna() | (numbers.isna() & ~missing)]
    if len(bad):
        row = bad.iloc[0]
        raise TransientSourceError(
            f"partial answer: {len(bad)} unreadable row(s), e.g. date={row['date']!r} value={row['value']!r}"
        )
    keep = dates.between(pd.Timestamp(start), pd.Timestamp(end)) & ~missing
    if not keep.any():
        raise TransientSourceError(f"empty answer: no observations from {start} to {end}")
    return pd.DataFrame({"date": frame.loc[keep, "date"], "close": frame.loc[keep, "value"]})


class FredSource:
    name = "fred"
    origin: Path | None = None
    # Where requests go; None is the real network. Tests replay recorded answers through httpx.MockTransport.
    transport: httpx.BaseTransport | None = None

    def __init__(
        self, codes: Sequence[str] | None = None, timeout: float | None = None, api_key: str | None = None
    ) -> None:
        universe = current()
        self.series = universe.symbols("fred")
        self.codes = tuple(codes or universe.codes)
        # None: SMALLCAP_FRED_API_KEY, read at each extract (a key passed in wins).
        self.api_key = api_key
        lacking = [universe.index(c) for c in self.codes if c in universe.codes and c not in self.series]
        if lacking:
            carried = " and ".join(f"{c} ({s})" for c, s in self.series.items()) or "nothing"
            raise SourceError(
                f"FRED has no {lacking[0].name_en} ({lacking[0].code}) series; it carries only {carried}: "
                "use --source yahoo, optionally with --check-source fred"
            )
        unknown = [c for c in self.codes if c not in self.series]
        if unknown:
            raise SourceError(f"FRED source has no series for {', '.join(unknown)}")
        if timeout is None:
            from smallcap.settings import Settings

            timeout = Settings().http_timeout_seconds
        self.timeout = timeout

    def extract(self, start: date, end: date) -> pd.DataFrame:
        key = self.api_key or api_key_from_settings()
        masks = [_Redact(key)] if key else []
        loggers = [logging.getLogger(n) for n in ("httpx", "httpcore")]
        for logger in loggers:
            for mask in masks:
                logger.addFilter(mask)
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport, follow_redirects=True) as client:
                parts = [self._fetch(client, code, start, end, key) for code in self.codes]
        finally:
            for logger in loggers:
                for mask in masks:
                    logger.removeFilter(mask)
        text = pd.concat(parts, ignore_index=True)
        return from_long_text(text, self.name, start, end)

    def _fetch(self, client: httpx.Client, code: str, start: date, end: date, key: str | None) -> pd.DataFrame:
        series = self.series[code]
        label = f"fred {series} ({code})"
        try:
            if key:
                params = {
                    "series_id": series,
                    "api_key": key,
                    "file_type": "json",
                    "observation_start": start.isoformat(),
                    "observation_end": end.isoformat(),
                }
                response = client.get(API_URL, params=params)
            else:
                params = {"id": series, "cosd": start.isoformat(), "coed": end.isoformat()}
                response = client.get(CSV_URL, params=params)
            _check_status(response, label)
            frame = parse_api_json(response.json(), series) if key else parse_graph_csv(response.text, series)
            rows = observations(frame, start, end)
        except httpx.TimeoutException as exc:
            raise TransientSourceError(f"{label}: timed out after {self.timeout:g} s ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise TransientSourceError(_masked(f"{label}: network error {type(exc).__name__}: {exc}", key)) from None
        except ValueError as exc:  # a JSON body that does not decode
            raise TransientSourceError(f"{label}: unreadable answer ({type(exc).__name__})") from None
        except SourceError as exc:
            # Errors are built without the request URL (it would carry the key); name the series once.
            message = str(exc) if str(exc).startswith(label) else f"{label}: {exc}"
            raise type(exc)(_masked(message, key)) from None
        return rows.assign(index_code=code, source_symbol=series)

    def latest_date(self) -> date:
        from datetime import UTC, datetime

        from smallcap.calendar import last_final_day

        return last_final_day(datetime.now(UTC))


def _check_status(response: httpx.Response, label: str) -> None:
    status = response.status_code
    if status == 429 or status >= 500:
        raise TransientSourceError(f"{label}: HTTP {status} {response.reason_phrase}")
    if status >= 400:
        # A refused request stays refused: wrong series or key. Not retried.
        try:
            body = response.json()
        except ValueError:
            body = None
        detail = str(body.get("error_message", "")) if isinstance(body, dict) else ""
        raise SourceError(f"{label}: HTTP {status} {response.reason_phrase}" + (f" ({detail})" if detail else ""))


def _masked(message: str, key: str | None) -> str:
    return message.replace(key, "***") if key else message
