"""NYSE trading weeks: which week a run reports and the day it ends on (holidays included)."""

from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pandas as pd

NEW_YORK = ZoneInfo("America/New_York")


@cache
def _nyse():
    # exchange_calendars emits pandas deprecation noise on import and first use; it is not ours to fix.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import exchange_calendars as xcals

        # Back to 1970 so decades of history load; the calendar costs the same to build either way.
        return xcals.get_calendar("XNYS", start="1970-01-01")


def sessions_between(start: date, end: date) -> list[date]:
    """NYSE sessions from start to end inclusive."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sessions = _nyse().sessions_in_range(pd.Timestamp(start), pd.Timestamp(end))
    return [s.date() for s in sessions]


def last_session_of_week(day: date) -> date | None:
    """The last NYSE session of the Monday–Friday week containing `day`, or None if it had none."""
    monday = day - timedelta(days=day.weekday())
    sessions = sessions_between(monday, monday + timedelta(days=4))
    return sessions[-1] if sessions else None


def week_ending_on_or_before(day: date) -> date:
    """The last session of the last complete NYSE week on or before `day`.

    A week is complete once its last session has passed: a Friday run reports that Friday, a
    Good-Friday run reports Thursday, and a Wednesday run reports the previous week.
    """
    probe = day
    for _ in range(10):  # a whole week without sessions happens at most once in a row
        last = last_session_of_week(probe)
        if last is not None and last <= day:
            return last
        probe = probe - timedelta(days=probe.weekday() + 1)  # the Sunday before this week
    raise ValueError(f"no complete NYSE week found on or before {day}")


def last_final_day(now: datetime) -> date:
    """The newest day whose closes are final at `now`: today in New York once today's session (if any) has closed.

    Before the close a live source already shows today's price; that intraday number is not a close.
    """
    today = now.astimezone(NEW_YORK).date()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = _nyse()
        stamp = pd.Timestamp(today)
        if cal.is_session(stamp) and pd.Timestamp(now) < cal.session_close(stamp):
            return today - timedelta(days=1)
    return today


def session_flags(days: list[date]) -> list[bool]:
    """Whether each day is an NYSE session.

    Beyond the calendar's known years (it reaches about a year ahead) holidays are unknown, so
    there a weekday counts as a session; such dates fail the gate's future-date check anyway.
    """
    if not days:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = _nyse()
        first, last = cal.first_session.date(), cal.last_session.date()
    lo, hi = max(min(days), first), min(max(days), last)
    known = set(sessions_between(lo, hi)) if lo <= hi else set()
    return [d in known if first <= d <= last else d.weekday() < 5 for d in days]


def week_endings(start: date, end: date) -> list[date]:
    """The last session of every NYSE week from the one containing `start` up to `end`.

    `end` should itself end a week (see week_ending_on_or_before); a week cut short by `end` would
    otherwise show its last session before `end` as if the week had ended there.
    """
    last_of_week: dict[date, date] = {}
    for session in sessions_between(start, end):
        last_of_week[session - timedelta(days=session.weekday())] = session
    return sorted(last_of_week.values())
