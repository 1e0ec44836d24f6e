"""Settings check themselves: an invalid source or combination is refused in one line, named by its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from smallcap.errors import SettingsError, SmallcapError
from smallcap.settings import Settings


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"source": "nope"}, "SMALLCAP_SOURCE: unknown source 'nope': choose yahoo, fred, sample or csv"),
        (
            {"source": "yahoo", "check_source": "csv"},
            "SMALLCAP_CHECK_SOURCE: unknown cross-check source 'csv': choose fred or yahoo",
        ),
        (
            {"source": "yahoo", "check_source": "yahoo"},
            "SMALLCAP_CHECK_SOURCE: the cross-check source must differ from the primary source 'yahoo'",
        ),
        ({"source": "csv"}, "SMALLCAP_CSV_PATH: source 'csv' needs a file: pass --csv PATH"),
    ],
)
def test_invalid_run_settings_are_refused_in_one_line(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.for_run(**overrides)
    assert str(caught.value) == message
    assert isinstance(caught.value, SmallcapError)


def test_the_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMALLCAP_CHECK_SOURCE", "fred")
    monkeypatch.setenv("SMALLCAP_SOURCE", "fred")
    with pytest.raises(SettingsError, match="^SMALLCAP_CHECK_SOURCE: the cross-check source must differ"):
        Settings()
    monkeypatch.setenv("SMALLCAP_SOURCE", "yahoo")
    monkeypatch.setenv("SMALLCAP_LOOKBACK_DAYS", "many")
    with pytest.raises(SettingsError) as caught:
        Settings()
    assert str(caught.value).startswith("SMALLCAP_LOOKBACK_DAYS: Input should be a valid integer")
    assert "\n" not in str(caught.value)


def test_for_run_keeps_the_environment_where_an_override_is_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SMALLCAP_SOURCE", "yahoo")
    monkeypatch.setenv("SMALLCAP_DATA_DIR", str(tmp_path / "env"))
    settings = Settings.for_run(source=None, csv_path=None, data_dir=None, check_source="fred")
    assert (settings.source, settings.check_source, settings.data_dir) == ("yahoo", "fred", tmp_path / "env")
    csv = Settings.for_run(source="csv", csv_path=str(tmp_path / "closes.csv"), data_dir=tmp_path / "cli")
    assert (csv.source, csv.csv_path, csv.data_dir) == ("csv", tmp_path / "closes.csv", tmp_path / "cli")


def test_cli_reports_an_invalid_setting_as_its_last_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from app.cli import app

    monkeypatch.setenv("SMALLCAP_SOURCE", "nope")
    result = CliRunner().invoke(app, ["quarantine", "list", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last == "error: SMALLCAP_SOURCE: unknown source 'nope': choose yahoo, fred, sample or csv"


def test_deviation_and_fund_as_of_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    default = Settings()
    assert (default.deviation_basis, default.deviation_form, default.fund_as_of) == ("weekly", "relative", "week")
    monkeypatch.setenv("SMALLCAP_DEVIATION_BASIS", "daily")
    monkeypatch.setenv("SMALLCAP_DEVIATION_FORM", "points")
    monkeypatch.setenv("SMALLCAP_FUND_AS_OF", "month_end")
    chosen = Settings()
    assert (chosen.deviation_basis, chosen.deviation_form, chosen.fund_as_of) == ("daily", "points", "month_end")
    monkeypatch.setenv("SMALLCAP_DEVIATION_FORM", "percent")
    with pytest.raises(SettingsError, match="^SMALLCAP_DEVIATION_FORM: Input should be 'relative' or 'points'$"):
        Settings()
