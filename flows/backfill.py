"""Backfill: history from a start date, chunk by chunk through the weekly run's gate and lake, then one
warehouse build. Resumable: each landed chunk is checked off (meta.backfill_chunks) and skipped next time."""

from __future__ import annotations

from datetime import UTC, date, datetime

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import Failed, State

from flows.alerts import notify_webhook
from flows.weekly_report import NEW_YORK, _gave_up, settings_for
from smallcap import backfill as plan_
from smallcap.errors import SmallcapError, TransientSourceError
from smallcap.indices import INDEX_CODES
from smallcap.lake.batches import batch_id as content_id
from smallcap.settings import Settings
from smallcap.sources import carried_by, get_source
from tasks.backfill import done_chunks, record_chunk, validate_chunk
from tasks.extract import extract_closes
from tasks.land import land_batch
from tasks.load import build_warehouse
from tasks.reconcile import quarantine_disagreement, reconcile_batches
from tasks.record import record_run, record_validation
from tasks.ui import tag_run
from tasks.validate import quarantine_batch

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
        settings = settings_for(p.get("source"), p.get("csv_path"), p.get("data_dir"), p.get("check_source"))
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
) -> dict[str, str] | State:
    """Land every NYSE week from `start` to `end` (default: the source's latest), then build the warehouse.

    A chunk the gate rejects ends the run as Failed with the reason (the batch in quarantine, the
    chunks before it kept); running the same backfill again resumes at that chunk. Each chunk takes
    the weekly run's path: extraction with its retries, the gate, the cross-check with
    `check_source` when given, the lake.
    """
    log = get_run_logger()
    started = datetime.now(UTC)
    settings = settings_for(source, csv_path, data_dir, check_source)
    chunks = plan_for(settings, start, end, chunk_weeks)
    ref = plan_.source_ref(settings.source, settings.csv_path)
    run_name = f"backfill-{chunks[0].start:%Y-%m-%d}-to-{chunks[-1].end:%Y-%m-%d}"
    run = {"flow_run_id": str(flow_run.id), "run_name": run_name}
    tag_run("smallcap", "backfill", f"source:{settings.source}")
    done = done_chunks(settings.lake_dir, ref)
    log.info(
        "backfill %s from %r in %d chunk(s) of up to %d weeks; %d already done",
        run_name,
        settings.source,
        len(chunks),
        chunk_weeks,
        sum(c.key(ref) in done for c in chunks),
    )
    today = datetime.now(NEW_YORK).date()
    delays = settings.extract_retry_delays()
    extract = extract_closes.with_options(retries=settings.extract_retries, retry_delay_seconds=delays or 0)
    seen: set[str] = set()
    landed_rows = 0
    for chunk in chunks:
        where = f"chunk {chunk.number}/{len(chunks)} ({chunk.label})"
        if (record := done.get(chunk.key(ref))) is not None:
            seen |= {c for c in record["indices"].split(",") if c}
            continue
        try:
            batch = extract.with_options(task_run_name=f"extract closes {chunk.label}")(
                settings.source, settings.csv_path, chunk.start, chunk.end
            )
        except TransientSourceError as exc:
            return Failed(message=f"{where}: {_gave_up(exc, settings)}")
        present = [c for c in INDEX_CODES if "index_code" in batch and (batch["index_code"] == c).any()]
        bid = content_id(batch)
        if batch.empty and not seen:
            # Before the source's history begins there is nothing to land; checked off so a resume skips it.
            log.info("%s: the source has no closes this early; nothing to land", where)
            record_chunk(
                settings.lake_dir,
                chunk,
                source=settings.source,
                source_ref=ref,
                rows=0,
                indices=[],
                batch_id="",
                flow_run_id=run["flow_run_id"],
            )
            continue
        required = plan_.required_indices(present, seen, last_chunk=chunk is chunks[-1])
        report = validate_chunk(batch, chunk.start, chunk.end, today, required)
        record_validation(report, settings.lake_dir, batch_id=bid, **run)
        if not report.success:
            origin = get_source(settings.source, settings.csv_path).origin
            kept = quarantine_batch(batch, report, settings.quarantine_dir, run_name, origin)
            reason = f"{where}: {report.reason()} (batch kept in {kept})"
            return _failed(settings, run, chunk, bid, len(batch), started, reason)
        if settings.check_source is not None:
            codes = tuple(c for c in INDEX_CODES if c in carried_by(settings.check_source))
            try:
                check = extract.with_options(task_run_name=f"extract {settings.check_source} closes {chunk.label}")(
                    settings.check_source, None, chunk.start, chunk.end, codes
                )
            except TransientSourceError as exc:
                return Failed(message=f"{where}: cross-check {_gave_up(exc, settings)}")
            result = reconcile_batches(batch, check, settings.reconcile_tolerance)
            if not result.success:
                kept = quarantine_disagreement(batch, check, result, settings.quarantine_dir, run_name)
                reason = f"{where}: {result.reason()} (batch kept in {kept})"
                return _failed(settings, run, chunk, bid, len(batch), started, reason)
        land_batch.with_options(task_run_name=f"land closes {chunk.label}")(batch, settings.lake_dir)
        record_chunk(
            settings.lake_dir,
            chunk,
            source=settings.source,
            source_ref=ref,
            rows=len(batch),
            indices=present,
            batch_id=bid,
            flow_run_id=run["flow_run_id"],
        )
        seen |= set(present)
        landed_rows += len(batch)
        log.info("%s: %d rows of %s landed", where, len(batch), ",".join(present))

    outputs = {"warehouse": str(settings.warehouse_path.resolve()), "lake": str(settings.lake_dir.resolve())}
    # Recorded before the build so this run's own record is in the warehouse it publishes.
    record_run(
        settings.lake_dir,
        **run,
        week_ending=chunks[-1].end,
        source=settings.source,
        batch_id=None,  # one per chunk: see meta.backfill_chunks
        rows=landed_rows,
        gate_status="passed",
        started_at=started,
        outputs={**outputs, "chunks": str(len(chunks))},
    )
    warehouse = build_warehouse(settings.lake_dir, settings.warehouse_path)
    log.info("published warehouse %s", warehouse)
    return {
        "start": f"{chunks[0].start:%Y-%m-%d}",
        "end": f"{chunks[-1].end:%Y-%m-%d}",
        "chunks": str(len(chunks)),
        "landed_rows": str(landed_rows),
        **outputs,
    }


def _failed(
    settings: Settings, run: dict[str, str], chunk: plan_.Chunk, bid: str, rows: int, started: datetime, reason: str
) -> State:
    record_run(
        settings.lake_dir,
        **run,
        week_ending=chunk.end,
        source=settings.source,
        batch_id=bid,
        rows=rows,
        gate_status="failed",
        started_at=started,
        outputs=reason,
    )
    return Failed(message=reason)
