from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from smallcap.report import phrasing
from smallcap.report.chart import render_ratio_chart
from smallcap.report.draft import EN, JA, ChartRef, render
from smallcap.report.draft_files import DraftWrite, carried_forward, draft_path, write_draft
from smallcap.report.figures import WeekFigures, read_ratio_history, read_week
from smallcap.report.funds import FundPerformance, fund_table


@task(name="read week figures from marts", cache_policy=NO_CACHE)
def week_figures(warehouse_path: Path, week_ending: date) -> WeekFigures:
    return read_week(warehouse_path, week_ending)


@task(name="compute fund performance table", cache_policy=NO_CACHE)
def fund_returns(
    nav_path: Path | None, week_ending: date, funds: list[str], names: dict[str, str], max_age_days: int
) -> list[FundPerformance] | None:
    """None when no NAV file is configured (the drafts then say so)."""
    if nav_path is None:
        return None
    return fund_table(nav_path, week_ending, funds, names, max_age_days)


@task(name="draw ratio chart", cache_policy=NO_CACHE)
def draw_chart(warehouse_path: Path, week_ending: date, out_dir: Path, start: date) -> ChartRef:
    history = read_ratio_history(warehouse_path, week_ending, start)
    chart = ChartRef(png="ratio.png", svg="ratio.svg", since=history["week_ending"].iloc[0].date())
    render_ratio_chart(history, out_dir / chart.png, out_dir / chart.svg)
    return chart


@task(name="write draft comments (ja, en)", cache_policy=NO_CACHE)
def write_drafts(
    figures: WeekFigures,
    reports_dir: Path,
    same_move_band: float,
    chart: ChartRef,
    funds: list[FundPerformance] | None,
) -> dict[str, DraftWrite]:
    """Both drafts, each starting from the previous week's edited comment; an edited draft is never overwritten."""
    log = get_run_logger()
    written: dict[str, DraftWrite] = {}
    for lang in (JA, EN):
        carried = carried_forward(reports_dir, figures.week_ending, lang)
        if carried:
            log.info("%s draft: analyst text carried forward from the week ending %s", lang.code, carried.week_ending)
        text = render(lang, figures, same_move_band, chart, carried, funds)
        result = write_draft(draft_path(reports_dir, figures.week_ending, lang), text)
        (log.warning if result.status == "kept" else log.info)("%s draft: %s", lang.code, result.message)
        written[lang.code] = result
    return written


@task(name="publish artifacts to Prefect UI", cache_policy=NO_CACHE)
def publish_artifacts(figures: WeekFigures, drafts: dict[str, DraftWrite], chart_path: Path) -> None:
    for code, draft in drafts.items():
        create_markdown_artifact(
            key=f"weekly-comment-{code}",
            markdown=draft.written.read_text(encoding="utf-8")
            + f"\n\n---\ndraft: `{draft.written}`  \nchart: `{chart_path}`\n",
            description=f"Draft weekly comment ({code}) for {figures.week_ending}: {draft.message}",
        )
    create_table_artifact(
        key="weekly-figures",
        table=[
            {"figure": "R2000G close", "value": phrasing.number(figures.close)},
            {
                "figure": "R2000G 1-week change",
                "value": f"{phrasing.signed(figures.change)} ({phrasing.signed_percent(figures.return_1w)})",
            },
            {"figure": "DJIA 1-week", "value": phrasing.signed_percent(figures.dow_return_1w)},
            {"figure": "SPX 1-week", "value": phrasing.signed_percent(figures.spx_return_1w)},
            {"figure": "R2000G / SPX", "value": phrasing.percent(figures.ratio)},
            {
                "figure": "deviation from 26-week MA",
                "value": "n/a" if figures.deviation_26w is None else phrasing.signed_percent(figures.deviation_26w),
            },
        ],
        description=f"Figures for the week ending {figures.week_ending}",
    )
