"""What a person sees of a run in the Prefect UI beyond the draft and figures: tags and links."""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

from prefect import get_client, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from smallcap.report.artifacts import FileRef, files_markdown


def tag_run(*tags: str) -> list[str]:
    """Add tags to the current flow run (a deployment's own tags stay), so runs filter by week and source."""
    with get_client(sync_client=True) as client:
        current = client.read_flow_run(flow_run.id)
        merged = list(dict.fromkeys([*current.tags, *tags]))
        client.update_flow_run(flow_run.id, tags=merged)
    return merged


def _file(label: str, path: Path) -> FileRef:
    absolute = path.resolve()
    return FileRef(label, absolute, "" if absolute.exists() else "not built yet")


@task(name="publish links to chart and Data Docs", cache_policy=NO_CACHE)
def publish_links(week_ending: date, chart_path: Path, data_docs_index: Path, page_path: Path | None = None) -> str:
    # Paths as text, not file:// links: a browser refuses those from the UI's http page, and the files
    # are on this machine, not the reader's. The chart itself is in the draft artifacts.
    markdown = files_markdown(
        socket.gethostname(),
        [
            *(
                [_file(f"The week ending {week_ending} on one page (figures, chart, drafts, gate verdict)", page_path)]
                if page_path is not None
                else []
            ),
            _file(f"R2000G/SPX ratio chart, week ending {week_ending} (also shown in the draft artifacts)", chart_path),
            _file("Data Docs: the quality gate's validation results (open in a browser there)", data_docs_index),
        ],
    )
    create_markdown_artifact(
        key="weekly-links", markdown=markdown, description=f"Chart and Data Docs for the week ending {week_ending}"
    )
    return markdown
