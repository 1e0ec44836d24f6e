"""Alerts for a failed or late run: one line with the week and the reason, posted as Slack-compatible
JSON (`{"text": ...}`) to a webhook."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import timedelta

from smallcap.errors import SmallcapError

_WEEKLY = re.compile(r"^weekly-(\d{4}-\d{2}-\d{2})(?:-[0-9a-f]+)?$")  # the run's short id may follow
_BACKFILL = re.compile(r"^backfill-(\d{4}-\d{2}-\d{2})-to-(\d{4}-\d{2}-\d{2})$")
_DURATION = re.compile(r"^(\d+)([smh])$")


class AlertError(SmallcapError):
    """A webhook did not accept an alert."""


def week_of(run_name: str) -> str:
    """The week(s) a run reports, read from its name (weekly runs are named weekly-<week_ending>-<id>)."""
    if m := _WEEKLY.match(run_name):
        return f"week ending {m[1]}"
    if m := _BACKFILL.match(run_name):
        return f"weeks {m[1]} to {m[2]}"
    return "week unknown"  # the run failed before its week was known


def one_line(message: str | None, limit: int = 1000) -> str:
    """The first line of a state message, shortened to fit a chat message."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    line = lines[0] if lines else "no reason given"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def alert_text(run_name: str, state_name: str, message: str | None) -> str:
    return f"smallcap: {run_name} {state_name} ({week_of(run_name)}): {one_line(message)}"


def post(url: str, text: str, timeout: float = 10.0) -> None:
    """POST {"text": text} to a Slack-compatible webhook; raise AlertError if it is not accepted."""
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": text}, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (the URL is configuration)
            status = response.status
    except urllib.error.HTTPError as exc:
        raise AlertError(f"webhook {url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise AlertError(f"webhook {url} not reachable: {getattr(exc, 'reason', exc)}") from None
    if not 200 <= status < 300:
        raise AlertError(f"webhook {url} answered HTTP {status}")


def parse_duration(text: str) -> timedelta:
    """'90m', '2h', '30s' -> timedelta."""
    m = _DURATION.match(text.strip())
    if not m:
        raise SmallcapError(f"a duration is a number and a unit s, m or h (e.g. 2h, 90m), got {text!r}")
    unit = {"s": "seconds", "m": "minutes", "h": "hours"}[m[2]]
    return timedelta(**{unit: int(m[1])})
