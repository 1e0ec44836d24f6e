"""The Yahoo and FRED adapters on recorded answers: parsing, symbol mapping, windows and faults.

No Prefect here: each adapter is called directly; the flow-level retries are in test_live_flow.py.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pandas as pd
import pytest

from smallcap.errors import SourceError, TransientSourceError
from smallcap.sources import get_source
from smallcap.sources.fred import FredSource
from smallcap.sources.sample import SampleSource
from smallcap.sources.yahoo import YahooSource
from tests import faults
from tests.helpers import default_universe_text
from tests.replay import FredReplay, YahooReplay

NEW_YORK = ZoneInfo("America/New_York")
FIRST, LAST = date(2024, 11, 14), date(2025, 12, 16)  # the Yahoo recording's span (the sample goes on to 2026-02-13)
KEY = ["index_code", "trade_date"]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEY, kind="stable").reset_index(drop=True)


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # No test may reach the internet: unless a test installs a replay, every request fails here.
    YahooReplay().always(ConnectionError("network not replayed")).install(monkeypatch)
    FredReplay().always(faults.not_replayed).install(monkeypatch)


@pytest.fixture
def yahoo(monkeypatch: pytest.MonkeyPatch) -> YahooReplay:
    return YahooReplay().install(monkeypatch)


@pytest.fixture
def fred(monkeypatch: pytest.MonkeyPatch) -> FredReplay:
    monkeypatch.delenv("SMALLCAP_FRED_API_KEY", raising=False)
    monkeypatch.delenv("SMALLCAP_FRED_API_KEY_BLOCK", raising=False)
    return FredReplay().install(monkeypatch)


# --- Yahoo ---------------------------------------------------------------------------------------


def test_yahoo_answer_becomes_the_sample_sources_frame(yahoo: YahooReplay) -> None:
    got = _sorted(YahooSource().extract(FIRST, LAST))
    sample = _sorted(SampleSource().extract(FIRST, LAST))
    assert list(got.columns) == list(sample.columns)
    assert got.dtypes.equals(sample.dtypes)
    # The bundled sample is Yahoo's closes: the adapter must reproduce it value for value.
    pd.testing.assert_frame_equal(
        got.drop(columns=["source", "extracted_at"]), sample.drop(columns=["source", "extracted_at"])
    )
    assert set(got["source"]) == {"yahoo"}
    assert got["extracted_at"].nunique() == 1
    assert dict(got.drop_duplicates("index_code")[["index_code", "source_symbol"]].values) == {
        "R2000G": "^RUO",
        "SPX": "^GSPC",
        "DJIA": "^DJI",
    }


def test_yahoo_asks_unadjusted_closes_up_to_the_day_after_end(yahoo: YahooReplay) -> None:
    got = YahooSource().extract(date(2025, 12, 8), date(2025, 12, 12))
    # yfinance's end is exclusive: asking for 2025-12-13 is what brings Friday 2025-12-12.
    assert sorted(yahoo.requests) == [(s, "2025-12-08", "2025-12-13") for s in ("^DJI", "^GSPC", "^RUO")]
    assert got["trade_date"].max() == pd.Timestamp("2025-12-12")
    assert len(got) == 3 * 5
    # Yahoo stores 6827.41 as float32 6827.41015625; the batch carries the published two decimals.
    spx = got[(got["index_code"] == "SPX") & (got["trade_date"] == "2025-12-12")]["close"].item()
    assert spx == 6827.41


def test_yahoo_good_friday_and_holidays_are_absent_not_null(yahoo: YahooReplay) -> None:
    got = YahooSource().extract(date(2025, 4, 14), date(2025, 4, 25))
    days = sorted(set(got["trade_date"].dt.strftime("%Y-%m-%d")))
    assert "2025-04-18" not in days and len(days) == 9
    assert got["close"].notna().all()


def test_yahoo_never_takes_todays_price_before_the_close(yahoo: YahooReplay) -> None:
    during = YahooSource(now=lambda: datetime(2025, 12, 12, 15, 30, tzinfo=NEW_YORK))
    after = YahooSource(now=lambda: datetime(2025, 12, 12, 18, 0, tzinfo=NEW_YORK))
    assert during.latest_date() == date(2025, 12, 11)
    assert during.extract(date(2025, 12, 8), date(2025, 12, 12))["trade_date"].max() == pd.Timestamp("2025-12-11")
    assert after.latest_date() == date(2025, 12, 12)
    assert after.extract(date(2025, 12, 8), date(2025, 12, 12))["trade_date"].max() == pd.Timestamp("2025-12-12")


@pytest.mark.parametrize("case", sorted(faults.YAHOO))
def test_yahoo_fault_is_a_transient_error_naming_symbol_and_cause(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    fault, expected = faults.YAHOO[case]
    YahooReplay().always(fault).install(monkeypatch)
    with pytest.raises(TransientSourceError) as caught:
        YahooSource().extract(date(2025, 12, 1), date(2025, 12, 12))
    assert str(caught.value) == expected.format(days=10, start="2025-12-01")


def test_yahoo_symbol_whose_closes_stop_early_is_kept_for_the_freshness_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    YahooReplay().always(faults.yahoo_until("2025-12-11", symbols=("^RUO",))).install(monkeypatch)
    got = YahooSource().extract(date(2025, 12, 8), date(2025, 12, 12))
    last = got.groupby("index_code")["trade_date"].max().dt.strftime("%Y-%m-%d").to_dict()
    assert last == {"DJIA": "2025-12-12", "R2000G": "2025-12-11", "SPX": "2025-12-12"}


# --- FRED ----------------------------------------------------------------------------------------


def test_fred_answer_becomes_the_sample_sources_frame(fred: FredReplay) -> None:
    got = _sorted(FredSource(("SPX", "DJIA")).extract(FIRST, LAST))
    sample = _sorted(SampleSource().extract(FIRST, LAST))
    sample = sample[sample["index_code"].isin(["SPX", "DJIA"])].reset_index(drop=True)
    assert list(got.columns) == list(sample.columns)
    assert got.dtypes.equals(sample.dtypes)
    pd.testing.assert_frame_equal(got[KEY + ["close"]], sample[KEY + ["close"]])
    assert dict(got.drop_duplicates("index_code")[["index_code", "source_symbol"]].values) == {
        "SPX": "SP500",
        "DJIA": "DJIA",
    }
    assert [u.params["cosd"] for u in fred.urls] == ["2024-11-14", "2024-11-14"]
    assert [u.params["coed"] for u in fred.urls] == ["2025-12-16", "2025-12-16"]
    assert {u.params["id"] for u in fred.urls} == {"SP500", "DJIA"}


def test_fred_older_date_header_and_dot_for_missing_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def older(series: str, text: str) -> str:
        return text.replace("observation_date", "DATE").replace(",\n", ",.\n")

    FredReplay(edit=older).install(monkeypatch)
    got = FredSource(("SPX",)).extract(date(2025, 4, 14), date(2025, 4, 25))
    assert "2025-04-18" not in set(got["trade_date"].dt.strftime("%Y-%m-%d"))  # "." on Good Friday
    assert len(got) == 9


def test_fred_has_no_russell_2000_growth() -> None:
    with pytest.raises(SourceError, match=r"^FRED has no Russell 2000 Growth \(R2000G\) series"):
        get_source("fred")
    with pytest.raises(SourceError, match="FRED has no Russell 2000 Growth"):
        FredSource(("R2000G",))


@pytest.mark.parametrize("case", sorted(faults.FRED))
def test_fred_fault_is_a_transient_error_naming_series_and_cause(fred: FredReplay, case: str) -> None:
    fault, expected = faults.FRED[case]
    fred.always(fault)
    with pytest.raises(TransientSourceError) as caught:
        FredSource(("SPX", "DJIA"), timeout=30).extract(date(2025, 12, 1), date(2025, 12, 12))
    assert str(caught.value) == expected.format(start="2025-12-01")


def test_fred_refused_request_is_bad_input_not_transient(fred: FredReplay) -> None:
    fred.always(lambda request: httpx.Response(404, text="<html>Not Found</html>"))
    with pytest.raises(SourceError) as caught:
        FredSource(("SPX",)).extract(date(2025, 12, 1), date(2025, 12, 12))
    assert not isinstance(caught.value, TransientSourceError)
    assert str(caught.value) == "fred SP500 (SPX): HTTP 404 Not Found"


def test_fred_api_key_uses_the_api_and_is_never_logged_or_shown(
    fred: FredReplay, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "abcdef0123456789abcdef0123456789"
    monkeypatch.setenv("SMALLCAP_FRED_API_KEY", secret)
    caplog.set_level(logging.DEBUG)
    got = _sorted(FredSource(("SPX", "DJIA")).extract(date(2025, 1, 2), date(2025, 12, 16)))

    keyless = FredReplay().install(monkeypatch)
    monkeypatch.delenv("SMALLCAP_FRED_API_KEY")
    expected = _sorted(FredSource(("SPX", "DJIA")).extract(date(2025, 1, 2), date(2025, 12, 16)))
    pd.testing.assert_frame_equal(got.drop(columns="extracted_at"), expected.drop(columns="extracted_at"))
    assert {u.host for u in fred.urls} == {"api.stlouisfed.org"}
    assert {u.params["api_key"] for u in fred.urls} == {secret}
    assert {u.host for u in keyless.urls} == {"fred.stlouisfed.org"}

    # Refused and failed requests name the series, never the key; no log line carries it.
    monkeypatch.setenv("SMALLCAP_FRED_API_KEY", secret)
    fred.install(monkeypatch)
    for status in (429, 400):
        fred.always(lambda request, status=status: httpx.Response(status, json={"error_message": "Bad Request."}))
        with pytest.raises(SourceError) as caught:
            FredSource(("SPX",)).extract(date(2025, 12, 1), date(2025, 12, 12))
        assert secret not in str(caught.value) and "fred SP500 (SPX): HTTP" in str(caught.value)
    assert any("api.stlouisfed.org" in r.getMessage() for r in caplog.records)  # httpx did log the requests
    assert not [r for r in caplog.records if secret in r.getMessage()]


def test_fred_api_unknown_series_message_is_shown(
    fred: FredReplay, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SMALLCAP_FRED_API_KEY", "k" * 32)
    universe = tmp_path / "universe.toml"
    universe.write_text(default_universe_text().replace('fred = "SP500"', 'fred = "NOSUCHSERIES"'), encoding="utf-8")
    monkeypatch.setenv("SMALLCAP_UNIVERSE", str(universe))
    with pytest.raises(SourceError) as caught:
        FredSource(("SPX",)).extract(date(2025, 12, 1), date(2025, 12, 12))
    assert (
        str(caught.value) == "fred NOSUCHSERIES (SPX): HTTP 400 Bad Request (Bad Request.  The series does not exist.)"
    )


@pytest.mark.parametrize(
    ("now", "final"),
    [
        ("2026-02-13 15:59", "2026-02-12"),  # Friday before the 16:00 close: Thursday is the newest close
        ("2026-02-13 16:00", "2026-02-13"),
        ("2025-11-28 12:59", "2025-11-27"),  # day after Thanksgiving closes at 13:00
        ("2025-11-28 13:00", "2025-11-28"),
        ("2026-04-03 10:00", "2026-04-03"),  # Good Friday: no session, nothing pending
        ("2026-02-14 09:00", "2026-02-14"),
    ],
)
def test_last_final_day_follows_the_nyse_close(now: str, final: str) -> None:
    from smallcap.calendar import last_final_day

    assert last_final_day(datetime.fromisoformat(now).replace(tzinfo=NEW_YORK)) == date.fromisoformat(final)


def test_the_bundled_sample_is_the_known_answer_copy() -> None:
    """Tests compute known answers from tests/data; the package ships the same bytes, to the seed's week."""
    from smallcap.sources.sample import SAMPLE_FILE
    from tests.conftest import SAMPLE

    assert SAMPLE_FILE.read_bytes() == SAMPLE.read_bytes()
    assert SampleSource().latest_date() == date(2026, 2, 13)
    assert len(SampleSource().extract(FIRST, date(2026, 2, 13))) == 3 * 312
