"""Prefect tasks: thin wrappers that name each step of the run and declare its retries."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from smallcap.errors import SmallcapError, TransientSourceError
from smallcap.sources import get_source
from tasks.secrets import fred_api_key


def _transient(task, task_run, state) -> bool:  # noqa: ANN001 (Prefect's retry hook signature)
    # Retry network hiccups, not bad input: a missing file or an unknown source stays wrong.
    try:
        state.result(raise_on_failure=True)
    except TransientSourceError:
        return True
    except SmallcapError:
        return False
    except Exception:  # noqa: BLE001
        return True
    return False


# Fresh data every run: closes can be revised, so extraction is never served from a cache.
# The flow sets the number of retries and their delays from the settings (with_options).
@task(
    name="extract closes", retries=2, retry_delay_seconds=[5, 30], retry_condition_fn=_transient, cache_policy=NO_CACHE
)
def extract_closes(
    source: str, csv_path: Path | None, start: date, end: date, codes: tuple[str, ...] | None = None
) -> pd.DataFrame:
    # FRED's key may be in a Prefect Secret block: read here, in Prefect's layer, and passed into the source.
    key = fred_api_key() if source == "fred" else None
    return get_source(source, csv_path, codes, fred_api_key=key).extract(start, end)
