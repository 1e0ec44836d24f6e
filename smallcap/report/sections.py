"""The analyst's own text in a comment, read back so the next week's draft can start from it.

A comment has the seed's shape: the figure sentences, the analyst's background paragraph, the
analyst's sections (a `<heading>` line, then text), the ratio section (`<...ラッセル2000グロース VS
SP500 >`: two figure lines, then the analyst's outlook), then the `→` reference lines and what
the pipeline appends after them (fund table, notes). What belongs to the analyst:

- background: the text before the first heading that is not a figure sentence;
- sections: each heading other than the ratio heading, with the text up to the next heading;
- outlook: the ratio section's text that is not a figure sentence, up to the first `→` line.

Lines the pipeline adds to mark text (placeholders, review markers) are dropped, so carrying a
section forward week after week never piles markers up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADING = re.compile(r"^\s*<(?P<name>[^<>]+)>\s*$")


@dataclass(frozen=True)
class Section:
    heading: str  # as written between < and >, e.g. "主力大型株 VS 小型成長株"
    body: str  # the analyst's text, "" when there is none


@dataclass(frozen=True)
class AnalystText:
    background: str = ""
    sections: list[Section] = field(default_factory=list)
    outlook: str = ""

    @property
    def empty(self) -> bool:
        return not (self.background or self.outlook or any(s.body for s in self.sections))


@dataclass(frozen=True)
class Layout:
    """How one language's comment marks its parts (see smallcap.report.draft for both languages)."""

    ratio_heading: str  # the pipeline's ratio section heading, without < >
    figure_lines: tuple[re.Pattern[str], ...]  # a line matching any of these is a figure sentence
    marker: re.Pattern[str]  # a whole line the pipeline added (placeholder or review marker)
    reference_prefix: str = "→"


def heading_name(line: str) -> str | None:
    m = _HEADING.match(line)
    return m.group("name").strip() if m else None


def _clean(lines: list[str], layout: Layout) -> str:
    kept = [
        line
        for line in lines
        if not layout.marker.match(line.strip()) and not any(f.match(line.strip()) for f in layout.figure_lines)
    ]
    while kept and not kept[0].strip():
        kept.pop(0)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(line.rstrip() for line in kept)


def parse(comment: str, layout: Layout) -> AnalystText:
    """The analyst's text in `comment` (see the module docstring for what counts)."""
    lines = comment.splitlines()
    # Everything from the first reference line on is the pipeline's (references, fund table, notes).
    end = next((i for i, line in enumerate(lines) if line.lstrip().startswith(layout.reference_prefix)), len(lines))
    lines = lines[:end]
    starts = [i for i, line in enumerate(lines) if heading_name(line) is not None]
    background = _clean(lines[: starts[0]] if starts else lines, layout)
    sections: list[Section] = []
    outlook = ""
    for n, start in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else len(lines)
        name = heading_name(lines[start]) or ""
        body = _clean(lines[start + 1 : stop], layout)
        if _same_heading(name, layout.ratio_heading):
            outlook = body
        else:
            sections.append(Section(name, body))
    return AnalystText(background=background, sections=sections, outlook=outlook)


def _same_heading(a: str, b: str) -> bool:
    # The seed writes "<... VS SP500 >": spacing inside the brackets is not meaningful.
    return a.replace(" ", "") == b.replace(" ", "")
