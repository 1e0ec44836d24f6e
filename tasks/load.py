from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from smallcap.calendar import sessions_between
from smallcap.indices import INDICES
from smallcap.lake import records
from warehouse import build


@task(name="build and publish warehouse", cache_policy=NO_CACHE)
def build_warehouse(lake_dir: Path, warehouse_path: Path) -> Path:
    indices = pd.DataFrame(
        {
            "index_code": [i.code for i in INDICES],
            "name_en": [i.name_en for i in INDICES],
            "name_ja": [i.name_ja for i in INDICES],
        }
    )
    meta = {table: records.read_all(lake_dir, table) for table in records.SCHEMAS}
    return build.build(lake_dir, warehouse_path, indices, sessions_between, meta)
