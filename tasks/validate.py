from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from smallcap import gate, quarantine
from smallcap.gate import GateReport


@task(name="validate batch (Great Expectations)", cache_policy=NO_CACHE)
def validate_batch(batch: pd.DataFrame, week_ending: date, today: date) -> GateReport:
    return gate.validate(batch, week_ending=week_ending, today=today)


@task(name="quarantine rejected batch", cache_policy=NO_CACHE)
def quarantine_batch(
    batch: pd.DataFrame, report: GateReport, quarantine_dir: Path, run_name: str, origin: Path | None
) -> Path:
    return quarantine.keep(batch, report.to_dict(), report.reason(), quarantine_dir, run_name, origin)
