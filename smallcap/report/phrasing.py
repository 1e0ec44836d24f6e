"""Every rule for how a figure is written in the comment, in one place (Japanese and English).

- Rounding is half-up on the printed digits (-1.395 % prints -1.40 %), after trimming float noise.
- Closes print with 2 decimals and no thousands separator (1709.95), as the seed does.
- Changes and percentages carry a sign (+1.20, -24.27, -1.40%); an exact zero prints unsigned.
- A missing rate (a fund without enough history) prints as "—".
- The verb compares this week's direction with last week's (see `move`): 反発 / rebounded up after
  down, 続伸 up after up, 反落 down after up, 続落 down after down, 横ばい when the change prints
  as 0.00; after an unchanged or unknown week a move is plainly 上昇 / 下落.
- R2000G moved "the same" as the large caps only when its weekly return is within `band`
  (default 0.5 percentage points) of both the Dow's and the S&P 500's; above both or below both
  (beyond the band) is one phrase; otherwise each index is named with its own (see `comparison`).
- Dates: 2026年2月13日 in Japanese, February 13, 2026 in English.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

SAME = "と同程度の動き"
ABOVE = "を上回る動き"
BELOW = "を下回る動き"

SAME_EN = "in line with"
ABOVE_EN = "ahead of"
BELOW_EN = "behind"

MISSING = "—"

# The move of the week, keyed by (this week's direction, last week's direction).
_MOVES_JA = {
    "rebound": "反発しました",
    "continued_rise": "続伸しました",
    "reversal": "反落しました",
    "continued_fall": "続落しました",
    "flat": "横ばいでした",
    "rise": "上昇しました",
    "fall": "下落しました",
}
_MOVES_EN = {
    "rebound": "rebounded",
    "continued_rise": "rose for a second week",
    "reversal": "fell back",
    "continued_fall": "fell for a second week",
    "flat": "was flat",
    "rise": "rose",
    "fall": "fell",
}


def _half_up(x: float, places: int = 2) -> Decimal:
    # round(x, 10) first so 0.0139999999997 (float noise) is not mistaken for a value below .xx5
    return Decimal(repr(round(float(x), 10))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def number(x: float) -> str:
    """A close: 1709.95."""
    return f"{_half_up(x):f}"


def signed(x: float) -> str:
    """A change: -24.27, +7.93, 0.00."""
    d = _half_up(x)
    return f"+{d:f}" if d > 0 else f"{abs(d):f}" if d == 0 else f"{d:f}"


def percent(fraction: float) -> str:
    """A ratio as percent, unsigned: 0.250132 -> 25.01%."""
    return f"{_half_up(fraction * 100):f}%"


def signed_percent(fraction: float) -> str:
    """A rate as percent with sign: -0.013994 -> -1.40%."""
    return f"{signed(fraction * 100)}%"


def signed_points_ja(difference: float) -> str:
    """A difference of two ratios in percentage points of the ratio: 0.001 -> +0.10ポイント."""
    return f"{signed(difference * 100)}ポイント"


def signed_points_en(difference: float) -> str:
    """The same in English: 0.001 -> +0.10 percentage points."""
    return f"{signed(difference * 100)} percentage points"


def optional_signed_percent(fraction: float | None) -> str:
    """A rate that may be missing (not enough history): "—" then."""
    return MISSING if fraction is None else signed_percent(fraction)


def direction(change: float | None) -> int | None:
    """+1 up, -1 down, 0 unchanged as printed (2 decimals), None when unknown."""
    if change is None:
        return None
    d = _half_up(change)
    return (d > 0) - (d < 0)


def move(this_change: float, last_change: float | None) -> str:
    """The kind of this week's move given last week's: a key of the verb tables."""
    now, before = direction(this_change), direction(last_change)
    if now == 0:
        return "flat"
    if now > 0:
        return {-1: "rebound", 1: "continued_rise"}.get(before, "rise")  # type: ignore[arg-type]
    return {1: "reversal", -1: "continued_fall"}.get(before, "fall")  # type: ignore[arg-type]


def verb(this_change: float, last_change: float | None) -> str:
    """The Japanese sentence ending: 反発しました, 続伸しました, 反落しました, 続落しました, 横ばいでした, ..."""
    return _MOVES_JA[move(this_change, last_change)]


def verb_en(this_change: float, last_change: float | None) -> str:
    """The English verb phrase: rebounded, rose for a second week, fell back, ..."""
    return _MOVES_EN[move(this_change, last_change)]


def relation(small: float, other: float, band: float = 0.005) -> str:
    """R2000G's weekly return against one large-cap index's: "same" within the band, else "above" or "below"."""
    if small > other + band:
        return "above"
    if small < other - band:
        return "below"
    return "same"


# Japanese endings: the Dow's (first, the clause goes on) and the S&P 500's (last, it ends in 動き).
_GOES_ON_JA = {"same": "と同程度、", "above": "を上回り、", "below": "を下回り、"}
_ENDS_JA = {"same": SAME, "above": ABOVE, "below": BELOW}
_EN = {"same": SAME_EN, "above": ABOVE_EN, "below": BELOW_EN}


def comparison(small: float, dow: float, spx: float, band: float = 0.005) -> str:
    """How R2000G moved against the Dow and the S&P 500 (returns as fractions), after 主要インデックスの.

    One phrase for both when R2000G stands the same way to each (in line with both, above both or
    below both, beyond the band); otherwise each index gets its own: a return between the two is
    in line with neither.
    """
    return compare_ja(small, [("NYダウ", dow), ("SP500", spx)], band)


def comparison_en(small: float, dow: float, spx: float, band: float = 0.005) -> str:
    """The same rule as `comparison`, in English, after "It moved"."""
    return compare_en(small, [("the Dow", dow), ("the S&P 500", spx)], band)


def compare_ja(small: float, others: Sequence[tuple[str, float]], band: float = 0.005) -> str:
    """`comparison` against any large caps, each (Japanese name, weekly return), in the universe file's order."""
    relations = [relation(small, r, band) for _, r in others]
    texts = [f"{name}(前週末比{signed_percent(r)})" for name, r in others]
    if len(set(relations)) == 1:
        joined = "、".join(texts[:-1]) + "および" + texts[-1] if len(texts) > 1 else texts[0]
        return f"{joined}{_ENDS_JA[relations[-1]]}"
    leading = "".join(t + _GOES_ON_JA[rel] for t, rel in zip(texts[:-1], relations[:-1], strict=True))
    return f"{leading}{texts[-1]}{_ENDS_JA[relations[-1]]}"


def compare_en(small: float, others: Sequence[tuple[str, float]], band: float = 0.005) -> str:
    """`comparison_en` against any large caps, each (name in running text, weekly return)."""
    relations = [relation(small, r, band) for _, r in others]
    texts = [f"{name} (week on week {signed_percent(r)})" for name, r in others]
    if len(texts) == 1:
        return f"{_EN[relations[0]]} {texts[0]}"
    if len(set(relations)) == 1:
        return f"{_EN[relations[-1]]} the major indices, " + ", ".join(texts[:-1]) + f" and {texts[-1]}"
    parts = [f"{_EN[rel]} {t}" for t, rel in zip(texts, relations, strict=True)]
    return ", ".join(parts[:-1]) + f" and {parts[-1]}, the major indices"


def date_ja(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def month_ja(d: date) -> str:
    return f"{d.year}年{d.month}月"


def month_end_ja(d: date) -> str:
    """A month end as the seed dates its fund table: 2024年11月末."""
    return f"{d.year}年{d.month}月末"


# Spelled out here, not taken from the locale, so a run prints the same text on every machine.
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_en(d: date) -> str:
    return f"{_MONTHS_EN[d.month - 1]} {d.day}, {d.year}"


def month_en(d: date) -> str:
    return f"{_MONTHS_EN[d.month - 1]} {d.year}"


def month_end_en(d: date) -> str:
    """A month end: end-November 2024."""
    return f"end-{_MONTHS_EN[d.month - 1]} {d.year}"
