from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from smallcap.publish import Release
from smallcap.quality.results import GateReport
from smallcap.report import phrasing
from smallcap.report.artifacts import draft_markdown
from smallcap.report.chart import preview_png, render_ratio_chart
from smallcap.report.draft import EN, JA, ChartRef, render
from smallcap.report.draft_files import DraftWrite, carried_forward, draft_path, retire_legacy, write_draft
from smallcap.report.figures import IndexWeek, WeekFigures, read_ratio_history, read_week
from smallcap.report.funds import FundTable, fund_table
from smallcap.report.page import week_page
from smallcap.settings import Settings
from smallcap.universe import current, read


@task(name="read week figures from marts", cache_policy=NO_CACHE)
def week_figures(warehouse_path: Path, week_ending: date, basis: str = "weekly", form: str = "relative") -> WeekFigures:
    return read_week(warehouse_path, week_ending, basis, form, current())


@task(name="compute fund performance table", cache_policy=NO_CACHE)
def fund_returns(settings: Settings, week_ending: date) -> FundTable | None:
    """None when no NAV file is configured (the drafts then say so). A fund with a stale or missing NAV
    is marked in the table and logged, never fails the run; an unreadable file does."""
    if settings.fund_nav_path is None:
        return None
    table = fund_table(
        settings.fund_nav_path,
        week_ending,
        settings.funds,
        settings.fund_names,
        settings.fund_nav_max_age_days,
        settings.fund_as_of,
    )
    for note in table.notes():
        get_run_logger().warning(note)
    return table


@task(name="draw ratio chart", cache_policy=NO_CACHE)
def draw_chart(
    warehouse_path: Path,
    week_ending: date,
    paths: dict[str, Path],
    start: date,
    release: Release,
    basis: str = "weekly",
) -> ChartRef:
    universe = current()
    basis = universe.comment.deviation_basis or basis  # the average the draft measures from
    history = read_ratio_history(warehouse_path, week_ending, start, basis, universe.comment_pair)
    render_ratio_chart(history, release.staged(paths["chart"]), release.staged(paths["chart_svg"]), universe)
    return ChartRef(since=history["week_ending"].iloc[0].date())


@task(name="write draft comments (ja, en)", cache_policy=NO_CACHE)
def stage_drafts(
    figures: WeekFigures,
    settings: Settings,
    chart: ChartRef,
    funds: FundTable | None,
    release: Release,
) -> dict[str, DraftWrite]:
    """Both drafts, each starting from the previous week's edited comment; an edited draft is never overwritten.

    Written as part of the run's release: they appear with the warehouse they were drafted from.
    """
    log = get_run_logger()
    written: dict[str, DraftWrite] = {}
    for lang in (JA, EN):
        carried = carried_forward(settings.reports_dir, figures.week_ending, lang)
        if carried:
            log.info("%s draft: analyst text carried forward from the week ending %s", lang.code, carried.week_ending)
        text = render(lang, figures, settings.same_move_band, chart, carried, funds, read(settings.universe))
        path = draft_path(settings.reports_dir, figures.week_ending, lang)
        result = write_draft(path, text, put=release.write_text, remove=release.delete)
        (log.warning if result.status == "kept" else log.info)("%s draft: %s", lang.code, result.message)
        legacy = retire_legacy(path, remove=release.delete)
        if legacy is not None:
            log.warning("%s draft: %s was edited and is kept as it is; the draft is now %s", lang.code, legacy, path)
        written[lang.code] = result
    return written


@task(name="write the week's page", cache_policy=NO_CACHE)
def stage_page(
    figures: WeekFigures,
    drafts: dict[str, DraftWrite],
    paths: dict[str, Path],
    funds: FundTable | None,
    verdict: GateReport,
    release: Release,
    source: str,
    batch_id: str | None,
) -> Path:
    """report.html from what this release publishes (its drafts and chart, as staged), published with them."""
    texts = {code: release.staged_file(d.written).read_text(encoding="utf-8") for code, d in drafts.items()}
    chart = release.staged_file(paths["chart"]).read_bytes()
    target = paths["page"]
    edited = {code: d.draft.name for code, d in drafts.items() if d.status == "kept"}
    html = week_page(figures, texts, chart, funds, verdict, source=source, batch_id=batch_id, edited=edited)
    release.write_text(target, html)
    return target


@task(name="publish artifacts to Prefect UI", cache_policy=NO_CACHE)
def publish_artifacts(figures: WeekFigures, drafts: dict[str, DraftWrite], chart_path: Path) -> None:
    """The drafts as the Prefect UI shows them: every line as written, with the chart itself embedded."""
    preview = preview_png(chart_path)
    label = f"{figures.pair} ratio chart, week ending {figures.week_ending}"
    for code, draft in drafts.items():
        text = draft.written.read_text(encoding="utf-8")
        create_markdown_artifact(
            key=f"weekly-comment-{code}",
            markdown=draft_markdown(text, draft.written, chart_path, preview, label),
            description=f"Draft weekly comment ({code}) for {figures.week_ending}: {draft.message}",
        )
    small = figures.pair.split("/")[0]
    large = figures.large_caps or (
        IndexWeek("DJIA", 0, 0, 0, figures.dow_return_1w),
        IndexWeek("SPX", 0, 0, 0, figures.spx_return_1w),
    )
    large_caps = [{"figure": f"{i.index_code} 1-week", "value": phrasing.signed_percent(i.return_1w)} for i in large]
    window = f"{figures.window_weeks}-week MA"
    create_table_artifact(
        key="weekly-figures",
        table=[
            {"figure": f"{small} close", "value": phrasing.number(figures.close)},
            {
                "figure": f"{small} 1-week change",
                "value": f"{phrasing.signed(figures.change)} ({phrasing.signed_percent(figures.return_1w)})",
            },
            *large_caps,
            {"figure": figures.pair.replace("/", " / "), "value": phrasing.percent(figures.ratio)},
            {
                "figure": f"deviation from {window} ({figures.deviation_basis}, {figures.deviation_form})",
                "value": "n/a"
                if figures.deviation is None
                else phrasing.signed_percent(figures.deviation)
                if figures.deviation_form == "relative"
                else phrasing.signed_points_en(figures.deviation),
            },
        ],
        description=f"Figures for the week ending {figures.week_ending}",
    )
