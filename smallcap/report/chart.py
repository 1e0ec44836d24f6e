"""ratio.png and ratio.svg: R2000G ÷ SPX weekly with its 26-week average, labelled in Japanese.

Every piece of text is set in IPAexGothic, the font bundled by matplotlib-fontja, so Japanese
renders the same on any machine (no missing-glyph boxes, no dependence on system fonts). Sized
to be read in a blog post: 1200×675 px PNG, 11–15 pt text.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from smallcap.report import phrasing
from smallcap.universe import Universe, read

if TYPE_CHECKING:
    from matplotlib.figure import Figure

RATIO_LABEL = "ラッセル2000グロース÷SP500"
PREVIEW_WIDTH = 600  # px: legible in the Prefect UI, and tens of KB when embedded in an artifact
MA_LABEL = "26週移動平均"


def font_path() -> str:
    """The bundled Japanese font file every text of the chart uses."""
    import matplotlib_fontja

    return matplotlib_fontja.get_font_ttf_path()


def _style() -> dict[str, object]:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(font_path())
    name = font_manager.FontProperties(fname=font_path()).get_name()
    return {
        "font.family": [name],  # this font only: a missing glyph is a visible error, not a silent fallback
        "font.size": 12,
        "axes.titlesize": 15,
        "axes.labelsize": 12,
        "xtick.labelsize": 11,
        "ytick.labelsize": 11,
        "legend.fontsize": 11,
        "svg.fonttype": "path",  # glyphs as outlines: the SVG needs no font where it is shown
    }


def ratio_figure(history: pd.DataFrame, universe: Universe | None = None) -> Figure:
    """Draw `history` (week_ending, ratio, ma_26w; ratios as fractions) on a new figure, named after the
    universe's comment pair (default: the shipped universe's, R2000G ÷ SPX)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server or in CI
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    if history.empty:
        raise ValueError("no weeks to draw")
    weeks = pd.to_datetime(history["week_ending"])
    ratio = history["ratio"].astype(float) * 100
    ma = history["ma_26w"].astype(float) * 100
    universe = universe or read()
    pair = universe.comment
    num, den = universe.index(pair.numerator), universe.index(pair.denominator)
    ratio_label = f"{num.name_ja}÷{den.name_ja}"
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(8, 4.5), dpi=150)
        ax.plot(weeks, ratio, label=ratio_label, color="#1f5f99", linewidth=1.8)
        ax.plot(weeks, ma, label=f"{pair.window_weeks}週移動平均", color="#d9822b", linestyle="--", linewidth=1.6)
        last_week, last = weeks.iloc[-1], history.iloc[-1]
        ax.plot([last_week], [ratio.iloc[-1]], "o", color="#1f5f99", markersize=5)
        ax.annotate(
            f"{phrasing.date_ja(last_week.date())}\n{phrasing.percent(float(last['ratio']))}",
            (last_week, ratio.iloc[-1]),
            textcoords="offset points",
            xytext=(-14, 18),
            ha="right",
            fontsize=12,
            bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
            arrowprops={"arrowstyle": "-", "color": "#555555", "linewidth": 0.8},
        )
        first = weeks.iloc[0].date()
        ax.set_title(f"小型成長株と{den.name_ja}の相対比較の推移({phrasing.month_ja(first)}以降、週次)")
        ax.set_ylabel(ratio_label)
        ax.set_xlabel("週末(NY市場の週の最終営業日)")
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=None))  # as many decimals as the ticks need
        locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: phrasing.month_ja(mdates.num2date(x).date())))
        ax.grid(alpha=0.3)
        ax.legend(loc="best", framealpha=0.85, edgecolor="none")
        fig.text(0.99, 0.01, f"出所: {num.name_en}、{den.name_en} の週末終値", ha="right", va="bottom", fontsize=9)
        fig.autofmt_xdate(rotation=0, ha="center")
        fig.tight_layout()
    return fig


def render_ratio_chart(
    history: pd.DataFrame, png: Path, svg: Path | None = None, universe: Universe | None = None
) -> list[Path]:
    """Draw `history` to `png` (and `svg`); returns the files written."""
    import matplotlib.pyplot as plt

    fig = ratio_figure(history, universe)
    written: list[Path] = []
    try:
        with plt.rc_context(_style()):
            for path in (png, svg):
                if path is None:
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                fig.savefig(path)
                written.append(path)
    finally:
        plt.close(fig)
    return written


def preview_png(png: Path, width: int = PREVIEW_WIDTH) -> bytes:
    """A smaller copy of the chart `png`, `width` px wide, to embed where the file cannot be reached.

    Resampled with Lanczos (text stays legible) and stored with a 128-colour palette: a line chart has
    few colours, and the copy stays in the tens of KB.
    """
    from PIL import Image

    with Image.open(png) as image:
        height = round(image.height * width / image.width)
        small = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
    # Octree keeps the lines' own colours (median cut spends the palette on anti-aliasing greys).
    small = small.quantize(colors=128, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()
