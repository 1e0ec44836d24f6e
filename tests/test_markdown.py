"""The drafts through a CommonMark renderer (markdown-it-py): every heading and every line stays visible text."""

from __future__ import annotations

import base64
import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from smallcap.report.artifacts import FileRef, draft_markdown, files_markdown
from smallcap.report.draft import EN, JA, Carried, ChartRef, analyst_text, render
from smallcap.report.funds import fund_table
from smallcap.report.markdown import NBSP, code, png_image, text_to_markdown
from smallcap.report.sections import Section
from tests.conftest import SEED
from tests.helpers import paragraphs, render_markdown, seed_week_figures, write_navs

# CommonMark alone, and with GitHub's tables and strikethrough, which renderers such as the Prefect UI's add.
RENDERERS = {"commonmark": (), "commonmark+gfm": ("table", "strikethrough")}


def _drafts(tmp_path: Path) -> dict[str, str]:
    """Each language's draft with everything a draft can hold: the seed's own text carried forward
    (headings, numbered lines, a list), figures and a fund table with a stale fund."""
    funds = fund_table(write_navs(tmp_path / "navs.csv", ["SPX", "R2000G"]), date(2026, 2, 13), ["SPX", "R2000G"])
    seed = SEED.read_text(encoding="utf-8")
    out = {}
    for lang in (JA, EN):
        text = analyst_text(seed, JA)
        if lang is EN:  # the seed's text under the English headings: what matters here is its shape
            headings = zip(EN.default_sections, text.sections, strict=True)
            text = replace(text, sections=[Section(h, s.body) for h, s in headings])
        carried = Carried(text, date(2026, 2, 6))
        chart = ChartRef(date(2022, 1, 7))
        out[lang.code] = render(lang, seed_week_figures(), chart=chart, carried=carried, funds=funds)
    return out


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_line_of_a_draft_renders_as_visible_text(tmp_path: Path, lang: str, renderer: str) -> None:
    text = _drafts(tmp_path)[lang]
    seen = render_markdown(text_to_markdown(text), RENDERERS[renderer])
    assert seen.blocks == paragraphs(text)  # each paragraph, each line in its place
    assert seen.tags == {"p", "br"}  # no heading, list, table, rule, HTML or code made of the text
    headings = [line for line in text.splitlines() if line.startswith("<") and line.endswith(">")]
    assert len(headings) == 4  # three of the analyst's and the ratio section's
    shown = [line for block in seen.blocks for line in block.splitlines()]
    assert all(h in shown for h in headings)
    table_rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table_rows) == 4 and all(row in shown for row in table_rows)  # the fund table, as its lines


def test_the_raw_text_would_lose_the_english_headings_and_line_breaks(tmp_path: Path) -> None:
    """Why the drafts are escaped at all: read as Markdown as they are, the headings vanish as HTML tags."""
    text = _drafts(tmp_path)["en"]
    seen = render_markdown(text)
    assert seen.blocks != paragraphs(text)
    assert "<Private credit>" not in "\n".join(seen.blocks)


TRICKY = """\
# not a heading
## nor this ##
- not a list
+ nor this
* nor this
1. not numbered
2) nor this
    four spaces: not code
\tnor a tab
> not a quote
---
***
___
===
<b>not bold</b> <!-- not a comment -->
<div>not a block</div>
&amp; &copy; &#65; stay as typed
`not code` and ``not code either``
```
~~~
*not em* _nor this_ **nor strong** ~~nor struck~~
[not a link](http://example.com) ![not an image](x.png) <http://example.com>
[ref]: http://example.com
| not | a table |
|---|---|
a backslash \\ and a trailing one \\
\\*already escaped\\*

after a blank line: a new paragraph
"""


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
def test_every_markdown_construct_stays_text(renderer: str) -> None:
    seen = render_markdown(text_to_markdown(TRICKY), RENDERERS[renderer])
    assert seen.tags == {"p", "br"}
    assert seen.blocks == paragraphs(TRICKY)
    # Leading spaces are kept, as non-breaking spaces (plain ones would vanish, or make a code block).
    markdown = text_to_markdown(TRICKY)
    assert f"\n{NBSP * 4}four spaces: not code\\\n{NBSP * 4}nor a tab\\\n" in markdown
    assert text_to_markdown("") == "\n" and text_to_markdown("one line") == "one line\n"


def test_code_spans_hold_any_text_verbatim() -> None:
    for text in ("/data/reports/2026-02-13/ratio.png", "a`b", "`edge`", "C:\\data <x> & *y*"):
        assert render_markdown(code(text)).blocks == [text]


def _png(width: int = 3, height: int = 2) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "#1f5f99").save(out, format="PNG")
    return out.getvalue()


def test_a_png_is_embedded_as_a_data_uri() -> None:
    seen = render_markdown(png_image("R2000G/SPX [chart]", _png()))
    (image,) = seen.images
    assert image["alt"] == "R2000G/SPX [chart]"
    prefix = "data:image/png;base64,"
    assert image["src"].startswith(prefix) and base64.b64decode(image["src"][len(prefix) :]) == _png()
    with pytest.raises(ValueError, match="not a PNG"):
        png_image("chart", b"<svg/>")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_draft_artifact_shows_the_text_then_the_chart_and_where_the_files_are(tmp_path: Path, lang: str) -> None:
    text = _drafts(tmp_path)[lang]
    draft, chart = Path("/srv/data/reports/2026-02-13/comment.ja.txt"), Path("/srv/data/reports/2026-02-13/ratio.png")
    seen = render_markdown(draft_markdown(text, draft, chart, _png(), "ratio chart"))
    assert seen.blocks[: len(paragraphs(text))] == paragraphs(text)
    assert seen.blocks[len(paragraphs(text)) :] == [f"On the pipeline's machine:\ndraft {draft}\nchart {chart}"]
    assert [i["alt"] for i in seen.images] == ["ratio chart"]
    assert seen.tags == {"p", "br", "hr", "img", "code"}
    assert "img" not in render_markdown(draft_markdown(text, draft, chart, None, "ratio chart")).tags


def test_files_are_named_by_path_on_the_pipelines_machine_not_linked() -> None:
    files = [
        FileRef("R2000G/SPX ratio chart, week ending 2026-02-13", Path("/srv/data/reports/2026-02-13/ratio.png")),
        FileRef("Data Docs", Path("/srv/data/docs/index.html"), "not built yet"),
    ]
    markdown = files_markdown("pipeline-host", files)
    seen = render_markdown(markdown)
    assert "a" not in seen.tags and "file://" not in markdown
    assert seen.blocks == [
        "These files are on the pipeline's machine (pipeline-host); open them there:",
        "R2000G/SPX ratio chart, week ending 2026-02-13: /srv/data/reports/2026-02-13/ratio.png",
        "Data Docs (not built yet): /srv/data/docs/index.html",
    ]
