"""A Japanese font inside a page: IPAexGothic (the chart's font) cut down to the characters the page uses.

A page that must read the same with no network cannot fetch a web font, and a machine without a
Japanese font would show empty boxes. Only the non-ASCII characters are kept (a few hundred glyphs,
a few hundred kB); Latin text stays in the reader's own sans-serif.
"""

from __future__ import annotations

import base64
import functools
import io

FAMILY = "Smallcap IPAexGothic"


def used_characters(text: str) -> str:
    """The characters the embedded font must cover: every non-ASCII one in `text`."""
    return "".join(sorted({c for c in text if ord(c) > 0x7F and not c.isspace()}))


@functools.lru_cache(maxsize=8)  # a process that drafts the same weeks again (a backfill, a server) cuts once
def subset(characters: str) -> bytes:
    """IPAexGothic with only `characters` (and the glyphs they need), as a TrueType file."""
    from fontTools import subset as ft_subset
    from fontTools.ttLib import TTFont

    from smallcap.report.chart import font_path

    options = ft_subset.Options()
    options.hinting = False  # screens scale outlines well; hints would double the size
    options.name_IDs = ["*"]  # keep the name table: the font's licence and copyright travel with it
    options.notdef_outline = True
    font = TTFont(font_path(), lazy=True, recalcTimestamp=False)  # the same page text gives the same bytes
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def font_face(text: str) -> str:
    """A CSS @font-face rule embedding the font for `text`'s non-ASCII characters; empty when there are none."""
    characters = used_characters(text)
    if not characters:
        return ""
    data = base64.b64encode(subset(characters)).decode("ascii")
    return f'@font-face {{ font-family: "{FAMILY}"; src: url(data:font/ttf;base64,{data}) format("truetype"); }}'
