"""The CLI's dates: exactly YYYY-MM-DD, as the README says; anything else is a usage error (exit 2)."""

from __future__ import annotations

from datetime import date

import pytest
import typer

from app.cli import _iso_date


def test_an_iso_date_is_read() -> None:
    assert _iso_date("--week-ending", "2026-02-13") == date(2026, 2, 13)
    assert _iso_date("--end", None) is None


@pytest.mark.parametrize("value", ["2026-2-13", "2026-02-3", "20260213", "2026-W07-5", "2026-02-30", "13/02/2026"])
def test_a_date_not_written_yyyy_mm_dd_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as stopped:
        _iso_date("--week-ending", value)
    assert stopped.value.exit_code == 2
    assert capsys.readouterr().err == f"error: --week-ending must be an ISO date YYYY-MM-DD, got {value!r}\n"
