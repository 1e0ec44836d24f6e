"""The quality gate: Great Expectations suites over an extracted batch, reduced to one verdict.

The rows are validated as extracted; statements about groups and sequences are validated on
frames derived from them, each its own suite, so every check is a GX expectation with its own
result and Data Docs page:

- daily_close       the rows: schema, nulls, close > 0, uniqueness, known codes, no future date
- index_summary     one row per index: all present, same last date, last date = the week's last session
- session_coverage  one row per index and date: every NYSE session present, no date on a non-session
- daily_move        one row per index and session: the move from the previous close
- revisions         one row per index and date the lake already holds (committed): the close unchanged
- after_week        one row per row the source left out, dated after the week's end: named (a warning)

Each expectation carries GX's own severity: critical (an "error": the batch is rejected) or
warning (reported and recorded; the batch passes).

This module is the entry point; the parts live beside it, one job each:
results (GateReport, Finding), config (GateConfig), frames (derived frames), suites (the six
suites), runner (GX context, checkpoints, Data Docs), findings (reading GX's results) and
records (result rows for meta.validation_results and meta.revisions).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from datetime import date

import pandas as pd

from smallcap.indices import INDEX_CODES
from smallcap.quality.config import GateConfig
from smallcap.quality.frames import daily_moves, revisions, session_coverage, summarize
from smallcap.quality.records import result_rows, revision_rows
from smallcap.quality.results import ERROR, WARNING, Finding, GateReport
from smallcap.quality.rows import ROW_LIMIT, exact_counts, rows_for_gx, violations
from smallcap.quality.runner import DocsSite, import_gx, run_suites
from smallcap.quality.suites import gate_suites

__all__ = [
    "ERROR",
    "WARNING",
    "DocsSite",
    "Finding",
    "GateConfig",
    "GateReport",
    "daily_moves",
    "input_failure",
    "preload",
    "result_rows",
    "revisions",
    "session_coverage",
    "summarize",
    "validate",
]


def input_failure(message: str) -> GateReport:
    """The verdict on an input file that could not be read as a table at all (nothing for GX to validate)."""
    return GateReport(
        checks=[
            Finding(
                expectation="file is a readable UTF-8 CSV",
                suite="input",
                success=False,
                unexpected_count=0,
                sample=[{"error": message}],
            )
        ]
    )


_preloading: threading.Thread | None = None


def preload() -> None:
    """Start importing Great Expectations in a background thread; validate() waits for it.

    The import takes seconds, mostly while the process has nothing else to do: waiting for
    Prefect's temporary server to start, or for the server's answers. Idempotent.
    """
    global _preloading
    if _preloading is None:
        _preloading = threading.Thread(target=_import_gx, name="preload great_expectations", daemon=True)
        _preloading.start()


def _import_gx() -> None:
    with contextlib.suppress(Exception):  # validate() imports it again and reports any error there
        import_gx()


def validate(
    batch: pd.DataFrame,
    week_ending: date,
    today: date,
    *,
    published: pd.DataFrame | None = None,
    config: GateConfig | None = None,
    docs: DocsSite | None = None,
    required: Sequence[str] = INDEX_CODES,
) -> GateReport:
    """Run the GX suites on a batch; pure apart from GX's context (and the Data Docs, if asked for).

    `published` holds the closes the lake has committed (index_code, trade_date, close), for the
    revision check; None or empty when nothing is committed yet. `required`: the indices that
    must be present (all three for a weekly run; a backfill chunk from before an index's history
    begins in the source requires only the others).
    """
    config = config or GateConfig()
    if _preloading is not None:
        _preloading.join()  # one importer at a time: the main thread waits rather than racing it
    import_gx()  # before the suites are built: they create GX expectations
    revised = revisions(batch, published, config.known_codes)
    bad, rows = None, batch
    if len(batch) > ROW_LIMIT:  # GX sees every row that breaks a row rule, and a sample: the same verdict
        bad = violations(batch, today, config.known_codes)
        rows = rows_for_gx(batch, bad)
    suites = gate_suites(batch, week_ending, today, revised, config, required, rows)
    findings, pages = run_suites(suites, docs, config.sample_rows)
    if bad is not None:
        findings = exact_counts(findings, bad)
    return GateReport(
        checks=findings,
        revisions=revision_rows(revised, config.revision_tolerance),
        docs=pages,
        docs_index=str(docs.docs_dir / "index.html") if docs else None,
    )
