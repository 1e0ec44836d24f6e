"""What a person sees of a weekly run in the Prefect UI, read back through the Prefect client."""

from __future__ import annotations

import base64
import io
import json
import socket
from datetime import date

import pytest

from tests import independent
from tests.conftest import YEAR, CompletedRun, read_closes
from tests.helpers import paragraphs, render_markdown, run_artifacts

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_server")]

# Every step of a successful weekly run, as its task is named.
STEPS = {
    "extract closes",
    "verify committed lake files",
    "read committed closes (lake)",
    "validate batch (Great Expectations)",
    "record validation results",
    "record revised closes",
    "publish gate summary to Prefect UI",
    "land batch in Parquet lake",
    "stage lake commit",
    "record pipeline run",
    "build warehouse",
    "read week figures from marts",
    "compute fund performance table",
    "draw ratio chart",
    "write draft comments (ja, en)",
    "write the week's page",
    "publish artifacts to Prefect UI",
    "publish links to chart and Data Docs",
}


def test_a_run_is_named_tagged_and_leaves_its_artifacts(year_week: CompletedRun) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    data, run_id = year_week.data_dir, year_week.flow_run_id
    artifacts = run_artifacts(run_id)
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))

    assert run.name == f"weekly-2025-11-21-{run_id[:8]}"  # the week, then the run's own short id
    assert {"smallcap", "weekly", "week:2025-11-21", "source:csv"} <= set(run.tags)

    by_key = {a.key: a for a in artifacts}
    assert {"weekly-comment-ja", "weekly-comment-en", "weekly-figures", "weekly-links"} <= set(by_key)

    # The figures table says what an independent calculation says.
    weekly = independent.weekly_close(read_closes(YEAR)).set_index(["index_code", "week_ending"])
    r2000g = weekly.loc[("R2000G", date(2025, 11, 21))]
    table = {row["figure"]: row["value"] for row in json.loads(by_key["weekly-figures"].data)}
    assert table["R2000G close"] == f"{r2000g['close']:.2f}"
    assert table["SPX 1-week"] == f"{weekly.loc[('SPX', date(2025, 11, 21)), 'return_1w'] * 100:+.2f}%"
    assert f"{r2000g['close']:.2f}で終わりました" in by_key["weekly-comment-ja"].data

    # The files are named by their paths on the pipeline's machine, not as file:// links a browser refuses.
    links = render_markdown(by_key["weekly-links"].data)
    chart = (data / "reports" / "2025-11-21" / "ratio.png").resolve()
    docs = (data / "docs" / "index.html").resolve()  # the Data Docs site the gate built for this run
    page = (data / "reports" / "2025-11-21" / "report.html").resolve()
    assert chart.is_file() and docs.is_file() and page.is_file()
    assert "a" not in links.tags and "file:" not in by_key["weekly-links"].data
    assert links.blocks[0] == f"These files are on the pipeline's machine ({socket.gethostname()}); open them there:"
    page_line, chart_line, docs_line = links.blocks[1:]
    assert page_line.startswith("The week ending 2025-11-21 on one page") and page_line.endswith(f": {page}")
    assert chart_line.startswith("R2000G/SPX ratio chart, week ending 2025-11-21") and chart_line.endswith(f": {chart}")
    assert docs_line.startswith("Data Docs") and docs_line.endswith(f": {docs}")

    names = {t.name.rsplit("-", 1)[0] for t in task_runs}
    assert names == STEPS


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_draft_artifacts_show_every_line_and_the_chart(year_week: CompletedRun, lang: str) -> None:
    """Read back from the server and rendered as CommonMark: the draft file's text line for line, every
    <…> heading as text, then the chart itself as an embedded PNG and where the files are."""
    from PIL import Image

    (artifact,) = run_artifacts(year_week.flow_run_id, [f"weekly-comment-{lang}"])
    draft = year_week.data_dir / "reports" / "2025-11-21" / f"comment.{lang}.txt"
    text = draft.read_text(encoding="utf-8")
    seen = render_markdown(artifact.data)
    assert seen.blocks[: len(paragraphs(text))] == paragraphs(text)
    headings = [line for line in text.splitlines() if line.startswith("<")]
    assert len(headings) == 4 and all(h in seen.blocks[1].splitlines() for h in headings)
    assert seen.blocks[-1] == f"On the pipeline's machine:\ndraft {draft}\nchart {draft.with_name('ratio.png')}"

    (image,) = seen.images
    prefix = "data:image/png;base64,"
    assert image["src"].startswith(prefix)
    png = base64.b64decode(image["src"][len(prefix) :], validate=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 60_000
    with Image.open(io.BytesIO(png)) as small, Image.open(draft.with_name("ratio.png")) as full:
        assert small.width == 600 and abs(small.height / small.width - full.height / full.width) < 0.01
