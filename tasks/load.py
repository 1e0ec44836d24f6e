from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from smallcap.calendar import sessions_between
from smallcap.indices import INDICES
from warehouse import build


@task(name="build warehouse", cache_policy=NO_CACHE)
def build_warehouse(files: pd.DataFrame, target: Path, meta: Mapping[str, pa.Table]) -> Path:
    """Build every model from the committed files into `target` (a staged name: the release publishes it)."""
    indices = pd.DataFrame(
        {
            "index_code": [i.code for i in INDICES],
            "name_en": [i.name_en for i in INDICES],
            "name_ja": [i.name_ja for i in INDICES],
        }
    )
    return build.build(files, target, indices, sessions_between, meta)
