"""What a person sees of a weekly run in the Prefect UI, read back through the Prefect client."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests import independent
from tests.conftest import YEAR, CompletedRun, read_closes
from tests.helpers import run_artifacts

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

    links = by_key["weekly-links"].data
    chart = data / "reports" / "2025-11-21" / "ratio.png"
    assert chart.is_file()
    assert f"]({chart.resolve().as_uri()})" in links
    # The Data Docs site the gate built for this run is linked.
    docs = (data / "docs" / "index.html").resolve()
    assert docs.is_file()
    assert f"]({docs.as_uri()}) — `{docs}`" in links

    names = {t.name.rsplit("-", 1)[0] for t in task_runs}
    assert names == STEPS
