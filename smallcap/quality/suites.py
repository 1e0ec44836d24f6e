"""The six GX suites: which frame each validates, its expectations, and the columns naming a failing row.

Every expectation is paired with its human name (what the one-line reason and Data Docs show).
Great Expectations is imported inside the functions: its import costs seconds (see gate.preload).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from smallcap.indices import INDEX_CODES
from smallcap.quality.config import GateConfig
from smallcap.quality.frames import after_end, daily_moves, session_coverage, summarize
from smallcap.quality.rows import known_codes_rule
from smallcap.sources.batch import COLUMNS


@dataclass(frozen=True)
class Suite:
    name: str
    frame: pd.DataFrame
    expectations: list[tuple[str, Any]]  # (human name, GX expectation)
    id_columns: list[str]  # the columns of `frame` that identify a row in a failure sample


def gate_suites(
    batch: pd.DataFrame,
    week_ending: date,
    today: date,
    revised: pd.DataFrame,
    config: GateConfig,
    required: Sequence[str] = INDEX_CODES,
    rows: pd.DataFrame | None = None,
) -> Iterator[Suite]:
    """The suites in the order they run; `revised` is frames.revisions(batch, published). `rows`: the
    frame the row suite validates (default the batch; for a large batch see smallcap.quality.rows).

    Each suite's frame is built as it is reached: a 10 M-row batch's derived frames are each as large
    as the batch, and only one is held at a time."""
    known = config.known_codes
    suites: list[tuple[str, Callable[[], pd.DataFrame], Callable[[], list[tuple[str, Any]]]]] = [
        ("daily_close", lambda: batch if rows is None else rows, lambda: _row_expectations(today, known)),
        ("index_summary", lambda: summarize(batch), lambda: _summary_expectations(week_ending, required)),
        (
            "session_coverage",
            lambda: session_coverage(batch, week_ending, known),
            lambda: _coverage_expectations(week_ending),
        ),
        ("daily_move", lambda: daily_moves(batch, known), lambda: _move_expectations(config)),
        ("revisions", lambda: revised, lambda: _revision_expectations(config)),
        ("after_week", lambda: after_end(batch), lambda: _after_week_expectations(week_ending)),
    ]
    for name, frame_of, expectations_of in suites:
        frame = frame_of()
        yield Suite(name, frame, expectations_of(), [c for c in _ID_COLUMNS[name] if c in frame.columns])
        del frame


def _row_expectations(today: date, known: Sequence[str] = INDEX_CODES) -> list[tuple[str, Any]]:
    import great_expectations.expectations as gxe

    return [
        (
            "columns are exactly " + ",".join(COLUMNS),
            gxe.ExpectTableColumnsToMatchSet(column_set=list(COLUMNS), exact_match=True),
        ),
        ("batch has rows", gxe.ExpectTableRowCountToBeBetween(min_value=1)),
        ("index_code is not null", gxe.ExpectColumnValuesToNotBeNull(column="index_code")),
        ("trade_date is an ISO date", gxe.ExpectColumnValuesToNotBeNull(column="trade_date")),
        ("close is a number", gxe.ExpectColumnValuesToNotBeNull(column="close")),
        ("close > 0", gxe.ExpectColumnValuesToBeBetween(column="close", min_value=0, strict_min=True)),
        (
            "one row per (index_code, trade_date)",
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["index_code", "trade_date"]),
        ),
        (
            known_codes_rule(known),
            gxe.ExpectColumnValuesToBeInSet(column="index_code", value_set=list(known)),
        ),
        (
            f"trade_date not in the future (after {today})",
            gxe.ExpectColumnValuesToBeBetween(column="trade_date", max_value=pd.Timestamp(today)),
        ),
    ]


def _summary_expectations(week_ending: date, required: Sequence[str]) -> list[tuple[str, Any]]:
    import great_expectations.expectations as gxe

    return [
        (
            "all of " + ",".join(required) + " present",
            gxe.ExpectColumnDistinctValuesToContainSet(column="index_code", value_set=list(required)),
        ),
        (
            "every index ends on the same date",
            gxe.ExpectColumnUniqueValueCountToBeBetween(column="last_date", min_value=1, max_value=1),
        ),
        (
            f"every index ends on the week's last session {week_ending}",
            gxe.ExpectColumnValuesToBeBetween(
                column="last_date", min_value=pd.Timestamp(week_ending), max_value=pd.Timestamp(week_ending)
            ),
        ),
    ]


def _coverage_expectations(week_ending: date) -> list[tuple[str, Any]]:
    import great_expectations.expectations as gxe

    return [
        (
            f"every NYSE session present for every index (from its first date to {week_ending})",
            gxe.ExpectColumnValuesToBeInSet(column="in_batch", value_set=[True]),
        ),
        (
            "every trade_date is an NYSE session (no weekend or holiday)",
            gxe.ExpectColumnValuesToBeInSet(column="is_session", value_set=[True]),
        ),
    ]


def _move_expectations(config: GateConfig) -> list[tuple[str, Any]]:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.metadata_types import FailureSeverity

    def bound(limit: float, severity: FailureSeverity) -> Any:
        return gxe.ExpectColumnValuesToBeBetween(column="move", min_value=-limit, max_value=limit, severity=severity)

    return [
        (f"daily move within ±{config.move_warning:.0%}", bound(config.move_warning, FailureSeverity.WARNING)),
        (
            f"daily move within ±{config.move_error:.0%} (beyond is a data error)",
            bound(config.move_error, FailureSeverity.CRITICAL),
        ),
    ]


def _revision_expectations(config: GateConfig) -> list[tuple[str, Any]]:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.metadata_types import FailureSeverity

    tol = config.revision_tolerance
    name = f"committed closes unchanged (within {tol:.4%})"
    severity = FailureSeverity.CRITICAL
    if config.allow_revisions:
        name += " - revisions allowed by this run"
        severity = FailureSeverity.WARNING
    return [
        (name, gxe.ExpectColumnValuesToBeBetween(column="change", min_value=-tol, max_value=tol, severity=severity))
    ]


def _after_week_expectations(week_ending: date) -> list[tuple[str, Any]]:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.metadata_types import FailureSeverity

    # A warning: such rows are not this week's and are not landed, but a stray row (a Saturday
    # close, a mistyped date) would otherwise vanish without a word.
    return [
        (
            f"no rows after the week's end {week_ending} (such rows are left out, not landed)",
            gxe.ExpectColumnValuesToBeBetween(
                column="trade_date", max_value=pd.Timestamp(week_ending), severity=FailureSeverity.WARNING
            ),
        )
    ]


# Columns that identify a row in a failure sample, per suite.
_ID_COLUMNS: dict[str, list[str]] = {
    "daily_close": ["index_code", "trade_date", "close"],
    "index_summary": ["index_code", "first_date", "last_date"],
    "session_coverage": ["index_code", "trade_date"],
    "daily_move": ["index_code", "trade_date", "prev_close", "close", "move_pct"],
    "revisions": ["index_code", "trade_date", "published_close", "close"],
    "after_week": ["index_code", "trade_date"],
}
