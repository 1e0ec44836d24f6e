"""Backfill steps: validate a chunk (the weekly gate, with the indices the chunk must hold) and check it off."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from smallcap.backfill import Chunk
from smallcap.lake import records
from smallcap.quality import gate
from smallcap.quality.gate import GateReport


@task(
    name="validate chunk (Great Expectations)",
    task_run_name="validate closes {start:%Y-%m-%d} to {week_ending:%Y-%m-%d}",
    cache_policy=NO_CACHE,
)
def validate_chunk(
    batch: pd.DataFrame, start: date, week_ending: date, today: date, required: Sequence[str]
) -> GateReport:
    return gate.validate(batch, week_ending=week_ending, today=today, required=required)


@task(name="check off backfill chunk", task_run_name="check off chunk {chunk.label}", cache_policy=NO_CACHE)
def record_chunk(
    lake_dir: Path,
    chunk: Chunk,
    *,
    source: str,
    source_ref: str,
    rows: int,
    indices: Sequence[str],
    batch_id: str,
    flow_run_id: str,
) -> Path:
    key = chunk.key(source_ref)
    row = {
        "chunk_key": key,
        "source": source,
        "source_ref": source_ref,
        "chunk_start": chunk.start,
        "chunk_end": chunk.end,
        "weeks": chunk.weeks,
        "rows": rows,
        "indices": ",".join(indices),
        "batch_id": batch_id,
        "flow_run_id": flow_run_id,
        "completed_at": datetime.now(UTC),
    }
    return records.write(lake_dir, "backfill_chunks", [row], record_id=key)


def done_chunks(lake_dir: Path, source_ref: str) -> dict[str, dict]:
    """Checkpointed chunks of this source, by chunk key."""
    rows = records.read_all(lake_dir, "backfill_chunks").to_pylist()
    return {r["chunk_key"]: r for r in rows if r["source_ref"] == source_ref}
