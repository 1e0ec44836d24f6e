"""The seed's week: the draft's figure sentences must read as the published comment does."""

from datetime import date

import pandas as pd

from smallcap.draft import render_ja
from smallcap.figures import WeekFigures
from tests.conftest import LONG_HISTORY, SEED


def _close(frame: pd.DataFrame, code: str, day: str) -> float:
    return float(frame[(frame["index_code"] == code) & (frame["date"] == day)]["close"].iloc[0])


def seed_week_figures() -> WeekFigures:
    """SPX and DJIA from the real closes; R2000G and the 26-week deviation as the seed states them."""
    real = pd.read_csv(LONG_HISTORY)
    spx_before, spx = _close(real, "SPX", "2026-02-06"), _close(real, "SPX", "2026-02-13")
    dow_before, dow = _close(real, "DJIA", "2026-02-06"), _close(real, "DJIA", "2026-02-13")
    r2000g_before, r2000g = 1734.22, 1709.95
    return WeekFigures(
        week_ending=date(2026, 2, 13),
        close=r2000g,
        prev_close=r2000g_before,
        change=r2000g - r2000g_before,
        return_1w=r2000g / r2000g_before - 1,
        last_week_change=12.0,  # the seed calls this week 反落: the week before rose
        dow_return_1w=dow / dow_before - 1,
        spx_return_1w=spx / spx_before - 1,
        numerator_close=r2000g,
        denominator_close=spx,
        ratio=r2000g / spx,
        ma_26w=(r2000g / spx) / 1.0039,
        deviation_26w=0.0039,
    )


def seed_lines() -> list[str]:
    # The published comment's date line has a typo (2年 for 2月); the draft writes the date right.
    return SEED.read_text(encoding="utf-8").replace("2026年2年13日", "2026年2月13日").splitlines()


def test_seed_week_figure_sentences_match_the_published_comment() -> None:
    draft = render_ja(seed_week_figures()).splitlines()
    seed = seed_lines()
    assert draft[0] == seed[0]
    assert "1709.95で終わりました" in draft[0] and "-24.27(-1.40%)と反落しました" in draft[0]
    assert draft[2] == seed[2]  # the Dow / S&P 500 sentence, 同程度の動き
    ratio_at = seed.index("<小型成長株相場とラッセル2000グロース VS SP500 >")
    assert ratio_at > 0
    draft_ratio_at = draft.index("<小型成長株相場とラッセル2000グロース VS SP500 >")
    assert draft[draft_ratio_at + 1] == seed[ratio_at + 1]  # ...1709.95/6836.17=25.01%、
    assert draft[draft_ratio_at + 2] == seed[ratio_at + 2]  # 乖離は+0.39%でした。


def test_analyst_sections_are_marked_placeholders() -> None:
    draft = render_ja(seed_week_figures())
    for heading in ("<主力大型株 VS 小型成長株>", "<プライベート・クレジット問題>", "<外部材料>"):
        after = draft.split(heading, 1)[1].splitlines()[1]
        assert after.startswith("【記入してください")


def test_without_26_weeks_the_deviation_is_said_to_be_missing() -> None:
    from dataclasses import replace

    draft = render_ja(replace(seed_week_figures(), ma_26w=None, deviation_26w=None))
    assert "26週分のデータがまだないため算出できません" in draft
    assert "1709.95/6836.17=25.01%" in draft
