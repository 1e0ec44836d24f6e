"""The weekly run, top to bottom: extract → validate → commit to the lake → build the warehouse → draft, publish."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import Failed, State

from flows import steps
from flows.alerts import notify_webhook
from flows.steps import NEW_YORK
from smallcap.calendar import week_ending_on_or_before
from smallcap.errors import SmallcapError
from smallcap.quality.gate import preload as preload_gate
from smallcap.settings import Settings
from smallcap.sources import get_source
from tasks.report import draw_chart, fund_returns, publish_artifacts, stage_drafts, stage_page, week_figures
from tasks.ui import publish_links, tag_run


def resolve_week(settings: Settings, week_ending: date | None) -> date:
    """The week to report: the given day's last complete NYSE week, else the source's latest."""
    # A source dated in the future does not move the week: the gate names such rows instead.
    day = week_ending or min(
        get_source(settings.source, settings.csv_path).latest_date(), datetime.now(NEW_YORK).date()
    )
    return week_ending_on_or_before(day)


def _run_name() -> str:
    # The week, then the run's own short id: two runs of one week never share a name.
    p, run_id = flow_run.parameters, str(flow_run.id)[:8]
    week = p.get("week_ending")
    week = date.fromisoformat(week) if isinstance(week, str) else week
    try:
        settings = Settings.for_run(
            source=p.get("source"),
            csv_path=p.get("csv_path"),
            data_dir=p.get("data_dir"),
            check_source=p.get("check_source"),
        )
        return f"weekly-{resolve_week(settings, week):%Y-%m-%d}-{run_id}"
    except SmallcapError:
        return f"weekly-unresolved-{run_id}"  # the run itself then fails with the reason


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
    """Report one week; returns the paths of what it published.

    A batch refused by the gate or the cross-check, a source that keeps failing or (with
    wait_for_last_session, as the Friday schedule runs) has not published the week's last session,
    or any failure before the publish ends the run as Failed with one line, nothing published.
    A committed close may change only when `allow_revisions` is set; the change is recorded.
    """
    preload_gate()  # GX imports in the background while the batch is extracted
    settings = Settings.for_run(source=source, csv_path=csv_path, data_dir=data_dir, check_source=check_source)
    run = steps.Run(settings, "weekly", flow_run.name or "weekly-unresolved")
    with steps.writing(run) as release:
        run.week = week = resolve_week(settings, week_ending)
        tag_run("smallcap", "weekly", f"week:{week:%Y-%m-%d}", f"source:{settings.source}")
        get_run_logger().info("reporting the week ending %s from %r into %s", week, settings.source, settings.data_dir)
        funds = fund_returns(settings, week)  # a bad NAV file fails the run before anything is extracted
        first = week - timedelta(days=settings.lookback_days)
        batch = steps.extract(run, first, week, wait_for=week if wait_for_last_session else None)
        steps.verify(run, batch)
        verdict = steps.gate(run, batch, allow_revisions, week)
        steps.cross_check(run, batch, first, week)
        steps.commit(run, batch, release)
        paths = steps.report_paths(settings, week)
        warehouse = steps.build(run, release, lambda: {k: str(v) for k, v in paths.items()})
        figures = week_figures(warehouse, week, settings.deviation_basis, settings.deviation_form)
        chart = draw_chart(warehouse, week, paths, settings.chart_start, release, settings.deviation_basis)
        drafts = stage_drafts(figures, settings, chart, funds, release)
        stage_page(figures, drafts, paths, funds, verdict, release, settings.source, run.batch_id)
        steps.publish_release(run, release)
    if run.failure is not None:
        return Failed(message=run.failure)
    publish_artifacts(figures, drafts, paths["chart"])
    publish_links(week, paths["chart"], settings.docs_dir / "index.html", paths["page"])
    notes = [*(funds.notes() if funds is not None else []), *run.notes]
    return steps.outputs(settings, week, paths, drafts, notes)
