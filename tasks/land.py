from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from smallcap.lake import batches, commits
from smallcap.publish import Release


@task(name="land batch in Parquet lake", cache_policy=NO_CACHE)
def land_batch(batch: pd.DataFrame, lake_dir: Path) -> list[Path]:
    return batches.land(batch, lake_dir)


@task(name="stage lake commit", cache_policy=NO_CACHE)
def stage_commit(
    lake_dir: Path, log: Sequence[commits.Commit], files: Sequence[Path], release: Release, **about: str
) -> commits.Commit:
    """The commit that makes the landed files part of the truth, published with the run's release."""
    commit = commits.new_commit(log, files=commits.describe(lake_dir, files), **about)
    release.staged(commits.commit_path(lake_dir, commit.seq)).write_text(commit.to_json(), encoding="utf-8")
    return commit
