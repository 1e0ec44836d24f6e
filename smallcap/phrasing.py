"""Every rule for how a figure is written in the comment, in one place.

- Rounding is half-up on the printed digits (-1.395 % prints -1.40 %), after trimming float noise.
- Closes print with 2 decimals and no thousands separator (1709.95), as the seed does.
- Changes and percentages carry a sign (+1.20, -24.27, -1.40%); an exact zero prints unsigned.
- The verb compares this week's direction with last week's (see `verb`).
- R2000G moved "the same" as the large caps unless its weekly return is more than
  `band` (default 0.5 percentage points) above both the Dow and the S&P 500, or below both.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

SAME = "と同程度の動き"
ABOVE = "を上回る動き"
BELOW = "を下回る動き"


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


def direction(change: float | None) -> int | None:
    """+1 up, -1 down, 0 unchanged as printed (2 decimals), None when unknown."""
    if change is None:
        return None
    d = _half_up(change)
    return (d > 0) - (d < 0)


def verb(this_change: float, last_change: float | None) -> str:
    """The sentence ending for this week's move given last week's.

    反発 up after down, 続伸 up after up, 反落 down after up, 続落 down after down,
    横ばい unchanged. After an unchanged or unknown week a move is plainly 上昇 / 下落.
    """
    now, before = direction(this_change), direction(last_change)
    if now == 0:
        return "横ばいでした"
    words = (
        {-1: "反発", 1: "続伸", None: "上昇", 0: "上昇"}
        if now > 0
        else {1: "反落", -1: "続落", None: "下落", 0: "下落"}
    )
    return f"{words[before]}しました"


def comparison(small: float, dow: float, spx: float, band: float = 0.005) -> str:
    """How R2000G's weekly return compares with both large-cap indices (returns as fractions)."""
    if small > max(dow, spx) + band:
        return ABOVE
    if small < min(dow, spx) - band:
        return BELOW
    return SAME


def date_ja(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"
