"""The row suite at scale: which rows Great Expectations sees when a batch has millions.

GX validates the row suite (daily_close) row by row in Python-heavy code: about 4 s per million
rows, and on a file where every row breaks a rule it lists every one (minutes and gigabytes). So
above `ROW_LIMIT` rows, GX validates a smaller frame that provably gives the same verdict: every
row that breaks a row rule (found here by exact vectorised pandas checks, up to `KEEP_FAILING` per
rule, the first ones in the batch's order) and a deterministic sample of the others, in the
batch's order. Each rule then fails in GX exactly when it fails on the whole batch, with the same
first sample rows; its unexpected count is the exact one from pandas. Batches up to the limit (a
weekly run's few thousand rows) are validated whole, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from smallcap.quality.results import Finding

ROW_LIMIT = 200_000  # rows GX validates whole: about 1 s
KEEP_FAILING = 1_000  # failing rows per rule handed to GX (the count is exact regardless); > sample rows kept
SAMPLE = 10_000  # passing rows handed to GX, evenly spread over the batch


def known_codes_rule(known: Sequence[str]) -> str:
    """The known-codes rule's name: the codes themselves, or how many for a large universe."""
    return "index_code is one of " + (",".join(known) if len(known) <= 12 else f"the universe's {len(known)} codes")


def violations(batch: pd.DataFrame, today: date, known: Sequence[str]) -> dict[str, np.ndarray]:
    """Per row-suite rule (its human name, as suites._row_expectations names it): the rows that break it.

    The same semantics as the GX expectations: value checks skip nulls (named by the not-null rules),
    the compound uniqueness skips rows whose keys are both missing.
    """
    out: dict[str, np.ndarray] = {}
    columns = set(batch.columns)
    if "index_code" in columns:
        code = batch["index_code"]
        out["index_code is not null"] = code.isna().to_numpy()
        out[known_codes_rule(known)] = (code.notna() & ~code.isin(list(known))).to_numpy()
    if "trade_date" in columns:
        day = batch["trade_date"]
        out["trade_date is an ISO date"] = day.isna().to_numpy()
        out[f"trade_date not in the future (after {today})"] = (day > pd.Timestamp(today)).fillna(False).to_numpy()
    if "close" in columns:
        close = batch["close"]
        out["close is a number"] = close.isna().to_numpy()
        out["close > 0"] = (close <= 0).fillna(False).to_numpy()
    if {"index_code", "trade_date"} <= columns:
        keys = batch[["index_code", "trade_date"]]
        present = keys.notna().any(axis=1).to_numpy()
        out["one row per (index_code, trade_date)"] = keys.duplicated(keep=False).to_numpy() & present
    return out


def rows_for_gx(batch: pd.DataFrame, bad: dict[str, np.ndarray]) -> pd.DataFrame:
    """The batch's rows GX validates for a batch above ROW_LIMIT (see the module's docstring)."""
    take = np.zeros(len(batch), dtype=bool)
    take[np.linspace(0, len(batch) - 1, num=min(SAMPLE, len(batch)), dtype=np.int64)] = True
    for name, mask in bad.items():
        first = np.flatnonzero(mask)[:KEEP_FAILING]
        take[first] = True
        if name.startswith("one row per") and len(first):
            # A duplicate needs its twin: the first two rows of each of these keys (a key may repeat
            # hundreds of times; two make it a duplicate in GX's eyes, the count comes from here).
            dups = batch.loc[mask, ["index_code", "trade_date"]]
            twins = dups[dups.groupby(["index_code", "trade_date"], dropna=False).cumcount() < 2]
            keys = batch.iloc[first][["index_code", "trade_date"]].drop_duplicates()
            hit = twins.reset_index().merge(keys, on=["index_code", "trade_date"])["index"]
            take[batch.index.get_indexer(hit)] = True
    return batch[take]


def exact_counts(findings: list[Finding], bad: dict[str, np.ndarray]) -> list[Finding]:
    """The row suite's findings with the unexpected counts of the whole batch."""
    return [
        replace(f, unexpected_count=int(bad[f.expectation].sum()))
        if f.suite == "daily_close" and not f.success and f.expectation in bad
        else f
        for f in findings
    ]
