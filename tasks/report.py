from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from smallcap import phrasing
from smallcap.chart import render_ratio_chart
from smallcap.draft import render_ja
from smallcap.figures import WeekFigures, read_ratio_history, read_week


@task(name="read week figures from marts", cache_policy=NO_CACHE)
def week_figures(warehouse_path: Path, week_ending: date) -> WeekFigures:
    return read_week(warehouse_path, week_ending)


@task(name="draw ratio chart", cache_policy=NO_CACHE)
def draw_chart(warehouse_path: Path, week_ending: date, out_dir: Path) -> Path:
    return render_ratio_chart(read_ratio_history(warehouse_path, week_ending), out_dir / "ratio.png")


@task(name="write draft comment", cache_policy=NO_CACHE)
def write_draft(figures: WeekFigures, out_dir: Path, same_move_band: float) -> Path:
    text = render_ja(figures, band=same_move_band)
    path = out_dir / "comment.ja.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@task(name="publish artifacts to Prefect UI", cache_policy=NO_CACHE)
def publish_artifacts(figures: WeekFigures, draft_path: Path, chart_path: Path) -> None:
    create_markdown_artifact(
        key="weekly-comment-ja",
        markdown=draft_path.read_text(encoding="utf-8") + f"\n\n---\ndraft: `{draft_path}`  \nchart: `{chart_path}`\n",
        description=f"Draft weekly comment for {figures.week_ending}",
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
