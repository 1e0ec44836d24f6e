from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from smallcap.quality import quarantine
from smallcap.quality.reconcile import Reconciliation, reconcile


@task(name="reconcile with cross-check source", cache_policy=NO_CACHE)
def reconcile_batches(primary: pd.DataFrame, check: pd.DataFrame, tolerance: float) -> Reconciliation:
    return reconcile(primary, check, tolerance)


@task(name="quarantine disagreeing batch", cache_policy=NO_CACHE)
def quarantine_disagreement(
    primary: pd.DataFrame, check: pd.DataFrame, result: Reconciliation, quarantine_dir: Path, run_name: str
) -> Path:
    folder = quarantine.keep(primary, result.to_dict(), result.reason(), quarantine_dir, run_name)
    # Both sides are kept: a person decides which one was wrong.
    check.to_csv(folder / f"check-batch-{result.check}.csv", index=False, date_format="%Y-%m-%d")
    return folder
