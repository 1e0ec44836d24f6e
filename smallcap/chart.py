"""ratio.png: R2000G / SPX weekly with its 26-week moving average, labelled in Japanese."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def render_ratio_chart(history: pd.DataFrame, path: Path) -> Path:
    """Draw `history` (week_ending, ratio, ma_26w; ratios as fractions) to a PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server or in CI
    import matplotlib.pyplot as plt
    import matplotlib_fontja  # noqa: F401  (registers and selects the bundled Japanese font)
    from matplotlib.ticker import PercentFormatter

    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=120)
    try:
        ax.plot(history["week_ending"], history["ratio"] * 100, label="ラッセル2000グロース÷SP500", color="#1f5f99")
        ax.plot(history["week_ending"], history["ma_26w"] * 100, label="26週移動平均", color="#d9822b", linestyle="--")
        last = history.iloc[-1]
        ax.annotate(
            f"{last['ratio'] * 100:.2f}%",
            (last["week_ending"], last["ratio"] * 100),
            textcoords="offset points",
            xytext=(-10, 10),
            ha="right",
            fontsize=10,
        )
        ax.set_title("小型成長株とSP500の相対比較（週次）")
        ax.set_ylabel("比率")
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=1))
        ax.grid(alpha=0.3)
        ax.legend(loc="best")
        fig.autofmt_xdate()
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path
