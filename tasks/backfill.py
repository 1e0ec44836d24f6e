"""Backfill steps: check a chunk off, and read which chunks are done."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from smallcap.backfill import Chunk
from smallcap.lake import records
from smallcap.publish import Release


@task(name="check off backfill chunk", task_run_name="check off chunk {chunk.label}", cache_policy=NO_CACHE)
def record_chunk(
    lake_dir: Path,
    chunk: Chunk,
    release: Release,
    *,
    source: str,
    source_ref: str,
    rows: int,
    indices: Sequence[str],
    batch_id: str,
    flow_run_id: str,
) -> Path:
    """The chunk's checkpoint, published with its commit: a resumed backfill skips exactly what was committed."""
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
    return records.write_file(
        release.staged(records.record_path(lake_dir, "backfill_chunks", key)), "backfill_chunks", [row]
    )


def done_chunks(lake_dir: Path, source_ref: str) -> dict[str, dict]:
    """Checkpointed chunks of this source, by chunk key."""
    rows = records.read_all(lake_dir, "backfill_chunks").to_pylist()
    return {r["chunk_key"]: r for r in rows if r["source_ref"] == source_ref}
