from datetime import date

import pytest

from smallcap.calendar import last_session_of_week, sessions_between, week_ending_on_or_before


@pytest.mark.parametrize(
    ("run_day", "week_ending"),
    [
        ("2025-12-12", "2025-12-12"),  # a Friday reports itself
        ("2025-12-13", "2025-12-12"),  # Saturday: the week just ended
        ("2025-12-16", "2025-12-12"),  # Tuesday: this week is not complete yet
        ("2025-04-18", "2025-04-17"),  # Good Friday: the week ends Thursday
        ("2025-04-17", "2025-04-17"),  # ...and is complete on that Thursday
        ("2024-11-29", "2024-11-29"),  # Thanksgiving week ends on the Friday half-day
        ("2025-11-28", "2025-11-28"),
        ("2025-12-26", "2025-12-26"),  # Christmas Thursday closed, Friday open
        ("2026-01-02", "2026-01-02"),  # New Year's Day Thursday closed
        ("2025-06-20", "2025-06-20"),  # Juneteenth Thursday closed
    ],
)
def test_week_ending_is_last_session_of_last_complete_week(run_day: str, week_ending: str) -> None:
    assert week_ending_on_or_before(date.fromisoformat(run_day)) == date.fromisoformat(week_ending)


def test_holidays_are_not_sessions() -> None:
    sessions = sessions_between(date(2025, 4, 14), date(2025, 6, 20))
    assert date(2025, 4, 18) not in sessions  # Good Friday
    assert date(2025, 6, 19) not in sessions  # Juneteenth
    assert date(2025, 4, 17) in sessions
    assert last_session_of_week(date(2025, 4, 14)) == date(2025, 4, 17)
