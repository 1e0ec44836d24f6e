"""The Markdown a run shows of its drafts and files, wherever it is read (the Prefect UI on another machine).

A browser there can reach neither the pipeline's files nor a file:// link (refused from an http
page), so the chart travels inside the Markdown as a small PNG, and files are named by their path
on the pipeline's machine, as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smallcap.report.markdown import code, escape_inline, escape_line, png_image, text_to_markdown


@dataclass(frozen=True)
class FileRef:
    label: str  # what the file is, e.g. "R2000G/SPX ratio chart, week ending 2026-02-13"
    path: Path
    note: str = ""  # e.g. "not built yet"


def draft_markdown(text: str, draft: Path, chart: Path, preview: bytes | None, chart_label: str) -> str:
    """A draft as Markdown: its text line for line, then the chart itself (`preview`, a PNG) and where the
    draft and the chart are on the pipeline's machine."""
    parts = [text_to_markdown(text).rstrip("\n"), "---"]
    if preview is not None:
        parts.append(png_image(chart_label, preview))
    parts.append(f"On the pipeline's machine:\\\ndraft {code(str(draft))}\\\nchart {code(str(chart))}")
    return "\n\n".join(parts) + "\n"


def files_markdown(host: str, files: list[FileRef]) -> str:
    """A list of files with their paths as text: they are on the pipeline's machine, `host`, and open there."""
    lines = [f"These files are on the pipeline's machine ({code(host)}); open them there:", ""]
    for f in files:
        note = f" ({escape_inline(f.note)})" if f.note else ""
        lines.append(f"- {escape_line(f.label)}{note}: {code(str(f.path))}")
    return "\n".join(lines) + "\n"
