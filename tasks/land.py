from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from smallcap.lake import batches as lake


@task(name="land batch in Parquet lake", cache_policy=NO_CACHE)
def land_batch(batch: pd.DataFrame, lake_dir: Path) -> list[Path]:
    return lake.land(batch, lake_dir)
