"""Canonical index codes and their names; every source maps its own symbols onto these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Index:
    code: str
    name_en: str
    name_ja: str


R2000G = Index("R2000G", "Russell 2000 Growth", "ラッセル2000グロース")
SPX = Index("SPX", "S&P 500", "SP500")
DJIA = Index("DJIA", "Dow Jones Industrial Average", "NYダウ")

INDICES: tuple[Index, ...] = (R2000G, SPX, DJIA)
INDEX_CODES: tuple[str, ...] = tuple(i.code for i in INDICES)

# The ratio the comment tracks: small-cap growth against the broad large-cap index.
RATIO_PAIR = (R2000G.code, SPX.code)
