from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from smallcap.calendar import sessions_between
from smallcap.universe import Universe, read
from warehouse import build


@task(name="build warehouse", cache_policy=NO_CACHE)
def build_warehouse(
    files: pd.DataFrame, target: Path, meta: Mapping[str, pa.Table], universe: Universe | None = None
) -> Path:
    """Build every model from the committed files into `target` (a staged name: the release publishes it).

    The universe file gives the index dimension and the pairs (default: the shipped one); `files`
    holds its indices' files only."""
    universe = universe or read()
    indices = pd.DataFrame(
        {
            "index_code": [i.code for i in universe.indices],
            "name_en": [i.name_en for i in universe.indices],
            "name_ja": [i.name_ja for i in universe.indices],
        }
    )
    pairs = [(p.numerator, p.denominator, p.window_weeks) for p in universe.pairs]
    return build.build(files, target, indices, sessions_between, meta, pairs)
