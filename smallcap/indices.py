"""Canonical index codes and their names; every source maps its own symbols onto these.

The indices themselves are configuration (smallcap.universe); these names are the shipped
universe's, for code that needs the product's own three indices and ratio by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from smallcap.universe import read


@dataclass(frozen=True)
class Index:
    code: str
    name_en: str
    name_ja: str


_DEFAULT = read()
INDICES: tuple[Index, ...] = tuple(Index(i.code, i.name_en, i.name_ja) for i in _DEFAULT.indices)
INDEX_CODES: tuple[str, ...] = tuple(i.code for i in INDICES)
R2000G, SPX, DJIA = INDICES

# The ratio the comment tracks: small-cap growth against the broad large-cap index.
RATIO_PAIR = (_DEFAULT.comment.numerator, _DEFAULT.comment.denominator)
