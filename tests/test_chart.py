"""The ratio chart: Japanese text in the bundled font (no missing glyphs), PNG and SVG, from a start date."""

from __future__ import annotations

import io
import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from smallcap.report.chart import MA_LABEL, RATIO_LABEL, font_path, preview_png, ratio_figure, render_ratio_chart
from tests import independent
from tests.conftest import YEAR, read_closes


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    rs = independent.relative_strength(independent.weekly_close(read_closes(YEAR)))
    return rs[["week_ending", "ratio", "ma_26w"]]


def _texts(fig) -> list:  # noqa: ANN001
    ax = fig.axes[0]
    return [
        ax.title,
        ax.xaxis.label,
        ax.yaxis.label,
        *ax.get_legend().get_texts(),
        *ax.texts,  # the latest-value annotation
        *fig.texts,  # the source note
        *ax.get_xticklabels(),
        *ax.get_yticklabels(),
    ]


def test_every_text_uses_the_bundled_japanese_font_and_it_has_every_glyph(history: pd.DataFrame) -> None:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    fig = ratio_figure(history)
    fig.canvas.draw()  # tick labels exist once drawn
    texts = _texts(fig)
    assert "小型成長株とSP500の相対比較の推移" in fig.axes[0].get_title()
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [RATIO_LABEL, MA_LABEL]
    charmap = FT2Font(font_path()).get_charmap()
    for text in texts:
        props = text.get_fontproperties()
        # The font matplotlib resolves for this text is the fontja file itself, not a fallback.
        assert Path(font_manager.findfont(props, fallback_to_default=False)) == Path(font_path()), text.get_text()
        assert props.get_family() == ["IPAexGothic"]  # no second family to fall back to
        missing = {c for c in text.get_text() if not c.isspace() and ord(c) not in charmap}
        assert not missing, f"{text.get_text()!r}: no glyph for {missing}"
    assert font_path().endswith("matplotlib_fontja/fonts/ipaexg.ttf")


def test_png_and_svg_render_without_missing_glyph_warnings(tmp_path: Path, history: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")  # matplotlib's tofu warning
        written = render_ratio_chart(history, tmp_path / "ratio.png", tmp_path / "ratio.svg")
    assert written == [tmp_path / "ratio.png", tmp_path / "ratio.svg"]
    png = (tmp_path / "ratio.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1200, 675)  # readable in a blog post
    svg = (tmp_path / "ratio.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg


def test_the_preview_is_a_small_copy_of_the_chart(tmp_path: Path, history: pd.DataFrame) -> None:
    """What the Prefect UI shows inside the draft artifacts: the whole chart, smaller, in tens of KB."""
    from PIL import Image

    render_ratio_chart(history, tmp_path / "ratio.png")
    preview = preview_png(tmp_path / "ratio.png")
    assert preview[:8] == b"\x89PNG\r\n\x1a\n"
    assert 5_000 < len(preview) < 60_000
    with Image.open(io.BytesIO(preview)) as small, Image.open(tmp_path / "ratio.png") as full:
        assert small.size == (600, 338)  # 1200×675 halved: the same picture
        pixels = small.convert("RGB")
        colours = {pixels.getpixel((x, y)) for x in range(small.width) for y in range(small.height)}
        full_colours = {c for _, c in full.convert("RGB").getcolors(1_000_000)}
    # The ratio line's blue and the average's orange are still there, near enough to tell apart.
    for line in ((0x1F, 0x5F, 0x99), (0xD9, 0x82, 0x2B)):
        assert line in full_colours
        assert min(sum(abs(a - b) for a, b in zip(c, line, strict=True)) for c in colours) <= 24, line


def test_latest_value_is_annotated_as_the_draft_prints_it(history: pd.DataFrame) -> None:
    fig = ratio_figure(history)
    (note,) = fig.axes[0].texts
    assert note.get_text() == "2025年11月21日\n23.85%"  # R2000G 1574.79 / SPX 6602.99 on 2025-11-21
    assert note.xy[1] == pytest.approx(1574.79 / 6602.99 * 100, rel=1e-12)


def test_the_chart_starts_where_asked_and_says_so(history: pd.DataFrame) -> None:
    start = date(2025, 6, 1)
    fig = ratio_figure(history[pd.to_datetime(history["week_ending"]) >= pd.Timestamp(start)])
    ratio_line, ma_line = fig.axes[0].get_lines()[:2]
    first = pd.Timestamp(ratio_line.get_xdata()[0]).date()
    assert first == date(2025, 6, 6)
    assert "2025年6月以降" in fig.axes[0].get_title()
    assert len(ma_line.get_xdata()) == len(ratio_line.get_xdata())
