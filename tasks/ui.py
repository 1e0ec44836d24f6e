"""What a person sees of a run in the Prefect UI beyond the draft and figures: tags and links."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import get_client, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run


def tag_run(*tags: str) -> list[str]:
    """Add tags to the current flow run (a deployment's own tags stay), so runs filter by week and source."""
    with get_client(sync_client=True) as client:
        current = client.read_flow_run(flow_run.id)
        merged = list(dict.fromkeys([*current.tags, *tags]))
        client.update_flow_run(flow_run.id, tags=merged)
    return merged


def _link(text: str, path: Path) -> str:
    absolute = path.resolve()
    note = "" if absolute.exists() else " (not built yet)"
    return f"- [{text}]({absolute.as_uri()}){note} — `{absolute}`"


@task(name="publish links to chart and Data Docs", cache_policy=NO_CACHE)
def publish_links(week_ending: date, chart_path: Path, data_docs_index: Path) -> str:
    # Prefect stores a link artifact as Markdown "[text](url)"; one artifact holds both links.
    markdown = "\n".join(
        [
            _link(f"R2000G/SPX ratio chart, week ending {week_ending}", chart_path),
            _link("Data Docs: the quality gate's validation results", data_docs_index),
        ]
    )
    create_markdown_artifact(
        key="weekly-links", markdown=markdown, description=f"Chart and Data Docs for the week ending {week_ending}"
    )
    return markdown
