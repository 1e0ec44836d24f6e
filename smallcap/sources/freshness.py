"""The freshness wait: a scheduled run polls its source until the week's last session is there."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from datetime import date

import pandas as pd

from smallcap.errors import NotYetPublished


def sleep(seconds: float) -> None:
    # Module-level so a test can replace the waiting without touching time.sleep everywhere.
    time.sleep(seconds)


def missing_session(batch: pd.DataFrame, day: date, codes: Sequence[str]) -> list[str]:
    """The index codes that have no close on `day` in the batch."""
    have = set(batch.loc[batch["trade_date"] == pd.Timestamp(day), "index_code"])
    return [c for c in codes if c not in have]


def wait_for_session(
    fetch: Callable[[], pd.DataFrame],
    day: date,
    codes: Sequence[str],
    source: str,
    window_minutes: float,
    interval_minutes: float,
    log: Callable[[str], None] = lambda _: None,
) -> pd.DataFrame:
    """Fetch until every index has a close on `day`; poll every interval for at most the window.

    Returns the first complete batch; raises NotYetPublished once the window has passed.
    """
    waits = math.floor(window_minutes / interval_minutes) if interval_minutes > 0 else 0
    for attempt in range(waits + 1):
        batch = fetch()
        missing = missing_session(batch, day, codes)
        if not missing:
            return batch
        if attempt == waits:
            break
        log(
            f"{source} has no close for {day} yet ({', '.join(missing)}); "
            f"checking again in {interval_minutes:g} min ({attempt + 1} of {waits} waits)"
        )
        sleep(interval_minutes * 60)
    raise NotYetPublished(
        f"not yet published: {source} has no close for {day} for {', '.join(missing)} "
        f"after waiting {waits * interval_minutes:g} min ({waits + 1} checks)"
    )
