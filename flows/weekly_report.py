"""The weekly run, top to bottom: extract → validate → land → build warehouse → draft."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import Failed, State

from flows.alerts import notify_webhook
from smallcap.calendar import week_ending_on_or_before
from smallcap.errors import NotYetPublished, SmallcapError, SourceError, TransientSourceError, UnreadableInput
from smallcap.indices import INDEX_CODES
from smallcap.lake.batches import batch_id as content_id
from smallcap.quality.gate import DocsSite, GateConfig, GateReport, input_failure
from smallcap.quality.gate import preload as preload_gate
from smallcap.settings import Settings
from smallcap.sources import CHECK_SOURCES, carried_by, get_source
from smallcap.sources.freshness import wait_for_session
from tasks.extract import extract_closes
from tasks.land import land_batch
from tasks.load import build_warehouse
from tasks.reconcile import quarantine_disagreement, reconcile_batches
from tasks.record import record_revisions, record_run, record_validation
from tasks.report import draw_chart, fund_returns, publish_artifacts, week_figures, write_drafts
from tasks.ui import publish_links, tag_run
from tasks.validate import publish_gate_summary, published_closes, quarantine_batch, validate_batch

NEW_YORK = ZoneInfo("America/New_York")


def resolve_week(settings: Settings, week_ending: date | None) -> date:
    """The week to report: the given day's last complete NYSE week, else the source's latest."""
    # A source dated in the future does not move the week: the gate names such rows instead.
    day = week_ending or min(
        get_source(settings.source, settings.csv_path).latest_date(), datetime.now(NEW_YORK).date()
    )
    return week_ending_on_or_before(day)


def settings_for(
    source: str | None, csv_path: str | None, data_dir: str | None, check_source: str | None = None
) -> Settings:
    overrides = {"source": source, "csv_path": csv_path, "data_dir": data_dir, "check_source": check_source}
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    if settings.check_source is not None:
        if settings.check_source not in CHECK_SOURCES:
            choices = " or ".join(CHECK_SOURCES)
            raise SourceError(f"unknown cross-check source {settings.check_source!r}: choose {choices}")
        if settings.check_source == settings.source:
            raise SourceError(f"the cross-check source must differ from the primary source {settings.source!r}")
    return settings


def _gave_up(exc: TransientSourceError, settings: Settings) -> str:
    return f"{exc} (gave up after {settings.extract_retries + 1} attempts)"


def _run_name() -> str:
    p = flow_run.parameters
    week = p.get("week_ending")
    week = date.fromisoformat(week) if isinstance(week, str) else week
    try:
        settings = settings_for(p.get("source"), p.get("csv_path"), p.get("data_dir"), p.get("check_source"))
        return f"weekly-{resolve_week(settings, week):%Y-%m-%d}"
    except SmallcapError:
        return "weekly-unresolved"  # the run itself then fails with the reason


@flow(name="weekly-report", flow_run_name=_run_name, on_failure=[notify_webhook], on_crashed=[notify_webhook])
def weekly_report(
    week_ending: date | None = None,
    source: str | None = None,
    csv_path: str | None = None,
    data_dir: str | None = None,
    check_source: str | None = None,
    wait_for_last_session: bool = False,
    allow_revisions: bool = False,
) -> dict[str, str] | State:
    """Report one week; returns the paths of what it wrote.

    A rejected batch ends the run as Failed with the gate's one-line reason (no traceback: bad
    data is an expected outcome, not a crash) after the batch is put in quarantine. So does a
    disagreement with the cross-check source. A source that keeps failing, or (with
    wait_for_last_session, as the Friday schedule runs) has not published the week's last session
    within the freshness window, ends the run as Failed before anything is written. A close the
    warehouse already holds may change only when `allow_revisions` is set; the change is recorded.
    """
    log = get_run_logger()
    started = datetime.now(UTC)
    preload_gate()  # GX imports in the background while the batch is extracted
    settings = settings_for(source, csv_path, data_dir, check_source)
    try:
        week = resolve_week(settings, week_ending)
    except UnreadableInput as exc:
        return _reject_unreadable(
            exc, settings, {"flow_run_id": str(flow_run.id), "run_name": "weekly-unresolved"}, None, started
        )
    today = datetime.now(NEW_YORK).date()
    run = {"flow_run_id": str(flow_run.id), "run_name": f"weekly-{week:%Y-%m-%d}"}
    log.info("reporting the week ending %s from source %r into %s", week, settings.source, settings.data_dir)
    tag_run("smallcap", "weekly", f"week:{week:%Y-%m-%d}", f"source:{settings.source}")

    # The fund table's input is checked first: a bad NAV file fails the run before anything is written.
    try:
        funds = fund_returns(
            settings.fund_nav_path, week, settings.funds, settings.fund_names, settings.fund_nav_max_age_days
        )
    except SmallcapError as exc:
        return Failed(message=str(exc))

    start = week - timedelta(days=settings.lookback_days)
    delays = settings.extract_retry_delays()
    extract = extract_closes.with_options(retries=settings.extract_retries, retry_delay_seconds=delays or 0)
    try:
        if wait_for_last_session:
            batch = wait_for_session(
                lambda: extract(settings.source, settings.csv_path, start, week),
                week,
                INDEX_CODES,
                settings.source,
                settings.freshness_window_minutes,
                settings.freshness_interval_minutes,
                log.info,
            )
        else:
            batch = extract(settings.source, settings.csv_path, start, week)
    except UnreadableInput as exc:
        return _reject_unreadable(exc, settings, run, week, started)
    except TransientSourceError as exc:
        return Failed(message=_gave_up(exc, settings))
    except NotYetPublished as exc:
        return Failed(message=str(exc))
    batch_id = content_id(batch)
    log.info("extracted %d rows (batch %s)", len(batch), batch_id)
    run_record = {**run, "week_ending": week, "source": settings.source, "batch_id": batch_id, "rows": len(batch)}

    gate_config = GateConfig(
        move_warning=settings.move_warning,
        move_error=settings.move_error,
        revision_tolerance=settings.revision_tolerance,
        allow_revisions=allow_revisions,
    )
    docs = DocsSite(settings.docs_dir, settings.gx_results_dir, run["run_name"])
    report = validate_batch(batch, week, today, published_closes(settings.warehouse_path), gate_config, docs)
    record_validation(report, settings.lake_dir, batch_id=batch_id, **run)
    record_revisions(report, settings.lake_dir, batch_id=batch_id, **run)
    publish_gate_summary(report, batch_id)
    for warning in report.warnings:
        log.warning("gate warning (batch passes): %s", warning.line())
    if not report.success:
        origin = get_source(settings.source, settings.csv_path).origin
        kept = quarantine_batch(batch, report, settings.quarantine_dir, run["run_name"], origin)
        reason = f"{report.reason()} (batch kept in {kept})"
        record_run(settings.lake_dir, **run_record, gate_status="failed", started_at=started, outputs=reason)
        return Failed(message=reason)
    log.info("gate passed: %s; Data Docs %s", report.summary(), report.docs_index)

    if settings.check_source is not None:
        codes = tuple(c for c in INDEX_CODES if c in carried_by(settings.check_source))
        try:
            check = extract(settings.check_source, None, start, week, codes)
        except TransientSourceError as exc:
            return Failed(message=f"cross-check {_gave_up(exc, settings)}")
        result = reconcile_batches(batch, check, settings.reconcile_tolerance)
        if not result.success:
            kept = quarantine_disagreement(batch, check, result, settings.quarantine_dir, run["run_name"])
            reason = f"{result.reason()} (batch kept in {kept})"
            record_run(settings.lake_dir, **run_record, gate_status="failed", started_at=started, outputs=reason)
            return Failed(message=reason)
        log.info("reconciled with %s: %d common closes agree", settings.check_source, result.compared)

    landed = land_batch(batch, settings.lake_dir)
    out_dir = settings.reports_dir / f"{week:%Y-%m-%d}"
    planned = {"warehouse": settings.warehouse_path, "draft": out_dir / "comment.ja.md", "chart": out_dir / "ratio.png"}
    planned |= {"draft_en": out_dir / "comment.en.md", "chart_svg": out_dir / "ratio.svg"}
    # Recorded before the build so this run's own record is in the warehouse it publishes.
    record_run(
        settings.lake_dir,
        **run_record,
        gate_status="passed",
        started_at=started,
        outputs={k: str(v.resolve()) for k, v in planned.items()},
    )
    warehouse = build_warehouse(settings.lake_dir, settings.warehouse_path)
    log.info("landed %d file(s); published warehouse %s", len(landed), warehouse)

    figures = week_figures(warehouse, week)
    chart = draw_chart(warehouse, week, out_dir, settings.chart_start)
    drafts = write_drafts(figures, settings.reports_dir, settings.same_move_band, chart, funds)
    publish_artifacts(figures, drafts, out_dir / chart.png)
    publish_links(week, out_dir / chart.png, settings.docs_dir / "index.html")
    log.info("drafts %s, chart %s", ", ".join(str(d.written) for d in drafts.values()), out_dir / chart.png)
    ja, en = drafts["ja"], drafts["en"]
    return {
        "week_ending": f"{week:%Y-%m-%d}",
        "warehouse": str(warehouse.resolve()),
        "lake": str(settings.lake_dir.resolve()),
        "draft": str(ja.draft.resolve()),
        "draft_status": ja.status,  # created | replaced | kept (edited: this run's draft went beside it)
        "draft_written": str(ja.written.resolve()),
        "draft_en": str(en.draft.resolve()),
        "draft_en_status": en.status,
        "draft_en_written": str(en.written.resolve()),
        "chart": str((out_dir / chart.png).resolve()),
        "chart_svg": str((out_dir / chart.svg).resolve()),
        "notes": "; ".join(d.message for d in drafts.values() if d.status == "kept"),
    }


def _reject_unreadable(
    exc: UnreadableInput, settings: Settings, run: dict[str, str], week: date | None, started: datetime
) -> State:
    """An input file that cannot even be parsed: no batch for GX, but kept and recorded like one."""
    origin = get_source(settings.source, settings.csv_path).origin
    report: GateReport = input_failure(str(exc))
    batch_id = hashlib.sha256(origin.read_bytes()).hexdigest()[:16] if origin and origin.is_file() else "unreadable"
    record_validation(report, settings.lake_dir, batch_id=batch_id, **run)
    publish_gate_summary(report, batch_id)
    kept = quarantine_batch(None, report, settings.quarantine_dir, run["run_name"], origin)
    reason = f"{report.reason()} (input kept in {kept})"
    record_run(
        settings.lake_dir,
        **run,
        week_ending=week,
        source=settings.source,
        batch_id=batch_id,
        rows=0,
        gate_status="failed",
        started_at=started,
        outputs=reason,
    )
    return Failed(message=reason)
