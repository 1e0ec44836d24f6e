"""Backfill: history from a start date, chunk by chunk through the weekly run's gate and lake, then one
warehouse build. Resumable: each chunk is committed with its checkpoint (meta.backfill_chunks) and skipped next time."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import Failed, State

from flows import steps
from flows.alerts import notify_webhook
from smallcap import backfill as plan_
from smallcap.errors import SmallcapError
from smallcap.publish import Release
from smallcap.quality.gate import preload as preload_gate
from smallcap.settings import Settings
from smallcap.sources import get_source
from smallcap.sources.batch import AFTER_END
from tasks.backfill import done_chunks, record_chunk
from tasks.record import stage_records
from tasks.ui import tag_run

DEFAULT_CHUNK_WEEKS = 13  # about a quarter: one source request and one gate run per chunk


def plan_for(settings: Settings, start: date, end: date | None, chunk_weeks: int) -> list[plan_.Chunk]:
    """The chunks of a backfill; the end defaults to the source's latest date."""
    last = end or get_source(settings.source, settings.csv_path).latest_date()
    return plan_.plan(start, last, chunk_weeks)


def _as_date(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value  # type: ignore[return-value]


def _run_name() -> str:
    p = flow_run.parameters
    try:
        settings = Settings.for_run(
            source=p.get("source"),
            csv_path=p.get("csv_path"),
            data_dir=p.get("data_dir"),
            check_source=p.get("check_source"),
        )
        chunks = plan_for(
            settings, _as_date(p["start"]), _as_date(p.get("end")), p.get("chunk_weeks", DEFAULT_CHUNK_WEEKS)
        )
        return f"backfill-{chunks[0].start:%Y-%m-%d}-to-{chunks[-1].end:%Y-%m-%d}"
    except SmallcapError:
        return "backfill-unresolved"  # the run itself then fails with the reason


@flow(name="backfill", flow_run_name=_run_name, on_failure=[notify_webhook], on_crashed=[notify_webhook])
def backfill(
    start: date,
    end: date | None = None,
    source: str | None = None,
    csv_path: str | None = None,
    data_dir: str | None = None,
    chunk_weeks: int = DEFAULT_CHUNK_WEEKS,
    check_source: str | None = None,
    allow_revisions: bool = False,
    indices: list[str] | None = None,
) -> dict[str, str] | State:
    """Land every NYSE week from `start` to `end` (default: the source's latest), then build the warehouse.

    The rows still to land are extracted once and go through the gate in one pass (with the revision
    check against the committed lake); then each chunk is cross-checked and committed on its own with
    its checkpoint. If the one pass refuses the rows, the chunks take the weekly run's path one by one
    (extraction, gate, cross-check), so the refused chunk is named and the chunks before it are
    committed: it ends the run as Failed with the reason; running the same backfill again resumes at
    that chunk. Nothing is published to analysts until the last chunk.
    `indices`: fill only these indices of the universe (one added to the file), the others untouched.
    """
    preload_gate()  # GX imports in the background while the lake is verified and the rows extracted
    settings = Settings.for_run(source=source, csv_path=csv_path, data_dir=data_dir, check_source=check_source)
    chunks = plan_for(settings, start, end, chunk_weeks)
    run = steps.Run(settings, "backfill", f"backfill-{chunks[0].start:%Y-%m-%d}-to-{chunks[-1].end:%Y-%m-%d}")
    run.only = plan_.selected_indices(run.universe.codes, indices or [], run.universe.path) if indices else ()
    run.week = chunks[-1].end
    tag_run("smallcap", "backfill", f"source:{settings.source}")
    with steps.writing(run) as release:
        steps.verify(run)
        passed = _gate_in_one_pass(run, chunks, allow_revisions)
        seen: set[str] = set()
        for chunk in chunks:
            seen |= _land_chunk(run, chunk, len(chunks), chunk is chunks[-1], seen, allow_revisions, passed)
        steps.build(run, release, lambda: {"warehouse": str(settings.warehouse_path), "chunks": str(len(chunks))})
        steps.publish_release(run, release)
    if run.failure is not None:
        return Failed(message=run.failure)
    get_run_logger().info("published warehouse %s", settings.warehouse_path)
    return {
        "start": f"{chunks[0].start:%Y-%m-%d}",
        "end": f"{chunks[-1].end:%Y-%m-%d}",
        "chunks": str(len(chunks)),
        "landed_rows": str(run.rows),
        "warehouse": str(settings.warehouse_path),
        "lake": str(settings.lake_dir),
    }


def _gate_in_one_pass(run: steps.Run, chunks: list[plan_.Chunk], allow_revisions: bool) -> pd.DataFrame | None:
    """Every row still to land, extracted once and through the gate in one pass: the rows if they pass.

    None when nothing is left, or the gate refuses them: then each chunk is gated on its own, which
    names the refused chunk and commits the ones before it, as before.
    """
    settings = run.settings
    ref = plan_.source_ref(settings.source, settings.csv_path, run.only)
    done = done_chunks(settings.lake_dir, ref)
    pending = [c for c in chunks if c.key(ref) not in done]
    if not pending:
        return None
    first, last = pending[0].start, chunks[-1].end
    batch = steps.extract(run, first, last, codes=run.only or None, label=f"{first} to {last}")
    if run.only and "index_code" in batch:
        batch = _only(batch, run.only)
    if batch.empty:
        return None
    codes = run.only or run.universe.codes
    required = [c for c in run.universe.started_by(last) if c in codes]
    report = steps.gate(run, batch, allow_revisions, last, required, docs=False, screen=True)
    if not report.success:
        get_run_logger().warning("the gate refused the rows %s to %s in one pass; gating chunk by chunk", first, last)
        return None
    get_run_logger().info("%d rows %s to %s passed the gate in one pass", len(batch), first, last)
    return batch


def _land_chunk(
    run: steps.Run,
    chunk: plan_.Chunk,
    total: int,
    last: bool,
    seen: set[str],
    allow_revisions: bool,
    passed: pd.DataFrame | None = None,
) -> set[str]:
    """One chunk through the gate (unless `passed` holds it, gated in one pass) and the cross-check,
    committed with its checkpoint; its indices."""
    settings = run.settings
    ref = plan_.source_ref(settings.source, settings.csv_path, run.only)
    codes = run.only or run.universe.codes
    if (done := done_chunks(settings.lake_dir, ref).get(chunk.key(ref))) is not None:
        return {c for c in done["indices"].split(",") if c}
    where = f"chunk {chunk.number}/{total} ({chunk.label})"
    try:
        with Release(settings.data_dir, f"{run.flow_run_id[:8]}-chunk{chunk.number}") as release:
            if passed is not None:
                days = passed["trade_date"]
                batch = passed[(days >= pd.Timestamp(chunk.start)) & (days <= pd.Timestamp(chunk.end))]
            else:
                batch = steps.extract(run, chunk.start, chunk.end, codes=run.only or None, label=chunk.label)
            if run.only and "index_code" in batch:  # a file source holds every index: keep the ones filled
                batch = _only(batch, run.only)
            have = set(batch["index_code"].unique()) if "index_code" in batch else set()
            present = [c for c in codes if c in have]
            landed = None
            if batch.empty and not seen:  # before the source's history begins: checked off, so a resume skips it
                get_run_logger().info("%s: the source has no closes this early; nothing to land", where)
            elif passed is not None:
                steps.cross_check(run, batch, chunk.start, chunk.end, label=chunk.label)
                landed = steps.commit(run, batch, release)
            else:
                begun = [c for c in run.universe.started_by(chunk.end) if c in codes]
                required = plan_.required_indices(present, seen, last, begun)
                steps.gate(run, batch, allow_revisions, chunk.end, required, False)
                steps.cross_check(run, batch, chunk.start, chunk.end, label=chunk.label)
                landed = steps.commit(run, batch, release)
            about = {"source": settings.source, "source_ref": ref, "flow_run_id": run.flow_run_id}
            # The batch id is in the landed files' names (batch-<id>.parquet): not hashed a second time.
            bid = Path(landed.files[0].path).stem.removeprefix("batch-") if landed and landed.files else ""
            record_chunk(settings.lake_dir, chunk, release, rows=len(batch), indices=present, batch_id=bid, **about)
            stage_records(release, settings.lake_dir, run.pending, f"{run.flow_run_id}-{chunk.number}")
            steps.publish_release(run, release)
    except SmallcapError as exc:
        raise steps.Rejected(f"{where}: {exc}") from None
    run.pending.clear()
    run.batch_id = None  # committed: the chunk's batch is named in its checkpoint
    get_run_logger().info("%s: %d rows of %s committed", where, len(batch), ",".join(present) or "no index")
    return set(present)


def _only(batch: pd.DataFrame, codes: tuple[str, ...]) -> pd.DataFrame:
    """The batch's rows of these indices, with what the source noted about it (attrs)."""
    kept = batch[batch["index_code"].isin(codes)].reset_index(drop=True)
    kept.attrs = {
        k: [r for r in v if r.get("index_code") in codes] if k == AFTER_END else v for k, v in batch.attrs.items()
    }
    return kept
