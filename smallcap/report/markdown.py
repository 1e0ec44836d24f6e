"""Plain text shown through Markdown exactly as written, and the other pieces of the Markdown artifacts.

The drafts are plain text in the seed's layout: `<…>` headings and one sentence per line. A Markdown
renderer would take `<Private credit>` for an HTML tag and drop it, and join single-newline lines
into one paragraph. So every character that can start Markdown syntax is backslash-escaped (CommonMark
allows escaping any ASCII punctuation), each line break becomes a hard break and blank lines stay
paragraph breaks: every line renders as its own line of visible text.
"""

from __future__ import annotations

import base64
import re

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Syntax anywhere in a line: escapes, code, emphasis, links and images, HTML and autolinks, entities,
# and the GitHub extensions (tables, strikethrough) that renderers such as the Prefect UI's also read.
_INLINE = re.compile(r"([\\`*_\[\]<>!&|~])")
# Syntax only at the start of a line: headings, list markers, thematic breaks and setext underlines.
_LINE_START = re.compile(r"^([#+=-])")
# An ordered list item: "1." or "1)".
_ORDERED = re.compile(r"^(\d{1,9})([.)])")
NBSP = "\u00a0"


def escape_inline(text: str) -> str:
    """`text` (one line) with every character that is Markdown syntax within a line escaped."""
    return _INLINE.sub(r"\\\1", text)


def escape_line(line: str) -> str:
    """One line of plain text as Markdown that renders to the same visible text."""
    body = line.rstrip()  # trailing spaces are invisible, and two of them would make a break of their own
    text = body.lstrip(" \t")
    indent = body[: len(body) - len(text)].expandtabs(4)
    text = _ORDERED.sub(r"\1\\\2", _LINE_START.sub(r"\\\1", escape_inline(text)))
    # Leading spaces would vanish, or from four on make a code block: keep them as non-breaking spaces.
    return NBSP * len(indent) + text


def text_to_markdown(text: str) -> str:
    """`text` as Markdown whose rendering shows every line of it, in its place, as text.

    Lines of one paragraph end in a hard break (a backslash before the newline); blank lines stay
    paragraph breaks.
    """
    lines = [escape_line(line) for line in text.splitlines()]
    out = [
        f"{line}\\" if line and n + 1 < len(lines) and lines[n + 1] else line  # never after a paragraph's last line
        for n, line in enumerate(lines)
    ]
    return "\n".join(out).strip("\n") + "\n"


def code(text: str) -> str:
    """`text` as an inline code span (shown verbatim), whatever backticks it holds."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""  # CommonMark strips one space each side
    return f"{fence}{pad}{text}{pad}{fence}"


def png_image(alt: str, png: bytes) -> str:
    """A PNG embedded in the Markdown as a data: URI, so it shows wherever the Markdown is rendered,
    with no file or server to reach."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG image")
    return f"![{escape_inline(alt)}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"
