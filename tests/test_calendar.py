from datetime import date, timedelta

import pytest

from smallcap.calendar import last_session_of_week, sessions_between, week_ending_on_or_before, week_endings


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


def _oracle() -> dict[date, date]:
    """Each day 2022–2026 -> the last session of the last complete week, straight from exchange_calendars:
    a session ends its week when the next session falls in a later Monday–Friday week."""
    import warnings

    import exchange_calendars as xcals
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sessions = [s.date() for s in xcals.get_calendar("XNYS").sessions_in_range("2021-12-01", "2027-01-31")]
    monday = [s - timedelta(days=s.weekday()) for s in sessions]
    ends = [s for s, m, nxt in zip(sessions, monday, monday[1:], strict=False) if nxt != m]
    days = pd.date_range("2022-01-01", "2026-12-31").date
    answer, i = {}, 0
    for d in days:
        while i + 1 < len(ends) and ends[i + 1] <= d:
            i += 1
        answer[d] = ends[i]
    return answer


def test_every_day_2022_to_2026_matches_the_exchange_calendar() -> None:
    for day, expected in _oracle().items():
        assert week_ending_on_or_before(day) == expected, day


def test_a_day_without_a_new_session_reports_the_same_week_again() -> None:
    """Idempotent runs: a run on a holiday, a weekend, or midweek repeats the previous run's week."""
    sessions = set(sessions_between(date(2022, 1, 1), date(2026, 12, 31)))
    day = date(2022, 1, 2)
    while day <= date(2026, 12, 31):
        if day not in sessions:
            assert week_ending_on_or_before(day) == week_ending_on_or_before(day - timedelta(days=1)), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("run_days", "week_ending"),
    [
        # Good Friday 2025: from the Thursday until the next week's Friday, the week ending Thursday 04-17.
        (["2025-04-17", "2025-04-18", "2025-04-19", "2025-04-21", "2025-04-24"], "2025-04-17"),
        (["2025-11-27"], "2025-11-21"),  # Thanksgiving Thursday: its week is not complete yet
        (["2025-11-28", "2025-11-30"], "2025-11-28"),  # ...it ends on the Friday early close
        (["2025-12-24", "2025-12-25"], "2025-12-19"),  # Christmas Eve early close, Christmas closed
        (["2025-12-26"], "2025-12-26"),
        (["2026-01-01"], "2025-12-26"),  # New Year's Day closed, the week goes on to Friday
        (["2026-01-02", "2026-01-04"], "2026-01-02"),
        (["2025-06-19"], "2025-06-13"),  # Juneteenth 2025, a Thursday
        (["2026-06-19", "2026-06-21"], "2026-06-18"),  # Juneteenth 2026 is a Friday: the week ends Thursday
        (["2025-07-04"], "2025-07-03"),  # Independence Day Friday; Thursday closed early
        (["2026-04-03"], "2026-04-02"),  # Good Friday 2026
    ],
)
def test_holiday_weeks(run_days: list[str], week_ending: str) -> None:
    assert {week_ending_on_or_before(date.fromisoformat(d)) for d in run_days} == {date.fromisoformat(week_ending)}


def test_week_endings_lists_each_weeks_last_session() -> None:
    assert week_endings(date(2025, 4, 16), date(2025, 5, 2)) == [date(2025, 4, 17), date(2025, 4, 25), date(2025, 5, 2)]
    assert week_endings(date(2025, 12, 20), date(2026, 1, 2)) == [date(2025, 12, 26), date(2026, 1, 2)]


def test_sessions_reach_back_decades() -> None:
    # Forty years of history must load: the 1980s New Year's Day, and Good Friday 1985 (April 5).
    assert sessions_between(date(1984, 12, 31), date(1985, 1, 4)) == [
        date(1984, 12, 31),
        date(1985, 1, 2),
        date(1985, 1, 3),
        date(1985, 1, 4),
    ]
    assert date(1985, 4, 5) not in sessions_between(date(1985, 4, 1), date(1985, 4, 5))
