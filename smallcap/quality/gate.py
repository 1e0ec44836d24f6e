"""The quality gate: Great Expectations suites over an extracted batch, reduced to one verdict.

The rows are validated as extracted; statements about groups and sequences are validated on
frames derived from them, each its own suite, so every check is a GX expectation with its own
result and Data Docs page:

- daily_close       the rows: schema, nulls, close > 0, uniqueness, known codes, no future date
- index_summary     one row per index: all present, same last date, last date = the week's last session
- session_coverage  one row per index and date: every NYSE session present, no date on a non-session
- daily_move        one row per index and session: the move from the previous close
- revisions         one row per index and date the warehouse already holds: the close unchanged

Each expectation carries GX's own severity: critical (an "error": the batch is rejected) or
warning (reported and recorded; the batch passes).
"""

from __future__ import annotations

import contextlib
import json
import threading
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from smallcap.calendar import session_flags, sessions_between
from smallcap.indices import INDEX_CODES
from smallcap.sources.batch import COLUMNS

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    expectation: str  # the human name of the check, e.g. "close > 0"
    suite: str
    success: bool
    unexpected_count: int
    sample: list[dict[str, Any]] = field(default_factory=list)
    severity: str = ERROR  # errors stop the run; warnings are reported
    kind: str = ""  # the GX expectation type, e.g. expect_column_values_to_be_between

    def line(self) -> str:
        rows = "; ".join(_fmt_row(r) for r in self.sample[:3])
        if self.unexpected_count:
            return f"{self.expectation}: {self.unexpected_count} row(s) fail" + (f", e.g. {rows}" if rows else "")
        return f"{self.expectation}: failed" + (f" ({rows})" if rows else "")


@dataclass(frozen=True)
class GateReport:
    checks: list[Finding]
    # Every revised close found (not only a sample): recorded as meta.revisions.
    revisions: list[dict[str, Any]] = field(default_factory=list)
    # Data Docs: suite -> the HTML page of this validation, and the site's index page.
    docs: dict[str, str] = field(default_factory=dict)
    docs_index: str | None = None

    @property
    def failures(self) -> list[Finding]:
        return [c for c in self.checks if not c.success and c.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [c for c in self.checks if not c.success and c.severity != ERROR]

    @property
    def success(self) -> bool:
        return not self.failures

    @property
    def evaluated(self) -> int:
        return len(self.checks)

    def reason(self) -> str:
        """One line naming every failed expectation with sample rows."""
        return (
            f"batch rejected by the quality gate ({len(self.failures)} of {self.evaluated} checks failed): "
            + " | ".join(f.line() for f in self.failures)
        )

    def summary(self) -> str:
        passed = sum(c.success for c in self.checks)
        return f"{passed} passed, {len(self.failures)} failed, {len(self.warnings)} warned of {self.evaluated} checks"

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "evaluated": self.evaluated,
            "summary": self.summary(),
            "checks": [{**asdict(c), "sample": _plain(c.sample)} for c in self.checks],
            "revisions": self.revisions,
            "docs": self.docs,
            "docs_index": self.docs_index,
        }


@dataclass(frozen=True)
class GateConfig:
    """The run-dependent bounds; defaults come from Settings."""

    move_warning: float = 0.15  # a move beyond this is large but plausible: reported
    move_error: float = 0.25  # beyond this it is not a market move but a data error
    revision_tolerance: float = 1e-6  # relative change of an already published close
    allow_revisions: bool = False


@dataclass(frozen=True)
class DocsSite:
    """Where GX writes Data Docs (static HTML) and the validation results the site indexes."""

    docs_dir: Path
    results_dir: Path
    run_name: str


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


def _plain(sample: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sample rows with dates as ISO strings, as they read in the one-line reason."""
    return json.loads(json.dumps(sample, default=_fmt_value, ensure_ascii=False))


def _fmt_row(row: dict[str, Any]) -> str:
    return " ".join(f"{k}={_fmt_value(v)}" for k, v in row.items())


def _fmt_value(v: Any) -> str:
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat() if not pd.isna(v) else "NaT"
    return str(v)


# ---------------------------------------------------------------- derived frames (pure pandas)


def _usable(batch: pd.DataFrame) -> pd.DataFrame:
    """Rows of known indices with a readable date, one per (index, date): what sequences are built from."""
    if not {"index_code", "trade_date", "close"} <= set(batch.columns):
        return pd.DataFrame({"index_code": [], "trade_date": pd.Series(dtype="datetime64[us]"), "close": []})
    rows = batch[batch["index_code"].isin(INDEX_CODES) & batch["trade_date"].notna()]
    rows = rows.drop_duplicates(["index_code", "trade_date"]).sort_values(["index_code", "trade_date"])
    return rows[["index_code", "trade_date", "close"]].reset_index(drop=True)


def summarize(batch: pd.DataFrame) -> pd.DataFrame:
    """One row per index present: first and last date and row count."""
    if not {"index_code", "trade_date"} <= set(batch.columns) or batch.empty:
        return pd.DataFrame(
            {
                "index_code": pd.Series(dtype="str"),
                "first_date": pd.Series(dtype="datetime64[us]"),
                "last_date": pd.Series(dtype="datetime64[us]"),
                "rows": pd.Series(dtype="int64"),
            }
        )
    grouped = batch.dropna(subset=["trade_date"]).groupby("index_code", as_index=False)
    return grouped.agg(first_date=("trade_date", "min"), last_date=("trade_date", "max"), rows=("trade_date", "size"))


def session_coverage(batch: pd.DataFrame, week_ending: date) -> pd.DataFrame:
    """One row per index and date that is either in the batch or an NYSE session it should hold.

    An index should hold every session from its own first date to the week's last session: a
    source may start an index later than the others (a shorter history is not an error), but
    once it starts there is no gap. `in_batch` false = a missing session; `is_session` false = a
    date on a weekend or holiday.
    """
    rows = _usable(batch)
    frames = []
    for code, group in rows.groupby("index_code", sort=True):
        have = set(group["trade_date"].dt.date)
        expected = set(sessions_between(min(have), week_ending)) if min(have) <= week_ending else set()
        days = sorted(have | expected)
        frames.append(
            pd.DataFrame(
                {
                    "index_code": code,
                    "trade_date": pd.to_datetime(days).as_unit("us"),
                    "in_batch": [d in have for d in days],
                    "is_session": session_flags(days),
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            {
                "index_code": pd.Series(dtype="str"),
                "trade_date": pd.Series(dtype="datetime64[us]"),
                "in_batch": pd.Series(dtype="bool"),
                "is_session": pd.Series(dtype="bool"),
            }
        )
    return pd.concat(frames, ignore_index=True)


def daily_moves(batch: pd.DataFrame) -> pd.DataFrame:
    """One row per index and date after its first: the close's move from the previous close."""
    rows = _usable(batch)
    rows = rows[pd.to_numeric(rows["close"], errors="coerce") > 0]
    prev = rows.groupby("index_code")[["trade_date", "close"]].shift(1)
    moves = rows.assign(prev_date=prev["trade_date"], prev_close=prev["close"]).dropna(subset=["prev_close"])
    moves = moves.assign(move=moves["close"] / moves["prev_close"] - 1)
    # For the sample line only: the move in percent, rounded, beside the exact fraction that is checked.
    moves = moves.assign(move_pct=(moves["move"] * 100).round(2))
    columns = ["index_code", "trade_date", "prev_date", "prev_close", "close", "move", "move_pct"]
    return moves.astype({"close": "float64", "prev_close": "float64", "move": "float64"})[columns].reset_index(
        drop=True
    )


def revisions(batch: pd.DataFrame, published: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (index, date) the warehouse already holds: the published close and the batch's."""
    rows = _usable(batch)
    rows = rows[pd.to_numeric(rows["close"], errors="coerce") > 0]  # a bad close is named by its own check
    if published is None or published.empty:
        published = pd.DataFrame({"index_code": [], "trade_date": pd.Series(dtype="datetime64[us]"), "close": []})
    pub = published.rename(columns={"close": "published_close"}).assign(
        trade_date=lambda f: pd.to_datetime(f["trade_date"]).astype("datetime64[us]"),
        published_close=lambda f: f["published_close"].astype("float64"),
    )[["index_code", "trade_date", "published_close"]]
    both = rows.assign(trade_date=rows["trade_date"].astype("datetime64[us]")).merge(
        pub, on=["index_code", "trade_date"], how="inner"
    )
    both = both.assign(close=both["close"].astype("float64"))
    both = both.assign(change=both["close"] / both["published_close"] - 1)
    return both[["index_code", "trade_date", "published_close", "close", "change"]].reset_index(drop=True)


# ---------------------------------------------------------------- suites


def _row_expectations(today: date) -> list[tuple[str, Any]]:
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
            "index_code is one of " + ",".join(INDEX_CODES),
            gxe.ExpectColumnValuesToBeInSet(column="index_code", value_set=list(INDEX_CODES)),
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
    name = f"closes already in the warehouse unchanged (within {tol:.4%})"
    severity = FailureSeverity.CRITICAL
    if config.allow_revisions:
        name += " - revisions allowed by this run"
        severity = FailureSeverity.WARNING
    return [
        (name, gxe.ExpectColumnValuesToBeBetween(column="change", min_value=-tol, max_value=tol, severity=severity))
    ]


# Columns that identify a row in a failure sample, per suite.
_ID_COLUMNS = {
    "daily_close": ["index_code", "trade_date", "close"],
    "index_summary": ["index_code", "first_date", "last_date"],
    "session_coverage": ["index_code", "trade_date"],
    "daily_move": ["index_code", "trade_date", "prev_close", "close", "move_pct"],
    "revisions": ["index_code", "trade_date", "published_close", "close"],
}


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
        import great_expectations  # noqa: F401


def _context(docs: DocsSite | None) -> Any:
    """An in-memory GX context; with a docs site, validation results are kept on disk so the site's
    index lists every run, not only this one."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    if docs is not None:
        config.stores["validation_results_store"] = {
            "class_name": "ValidationResultsStore",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs.results_dir)},
        }
    context = gx.get_context(project_config=config)
    if docs is not None:
        context.add_data_docs_site(
            "local",
            {
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs.docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context


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

    `published` holds the closes the warehouse already has (index_code, trade_date, close), for
    the continuity check; None or empty when there is no warehouse yet. `required`: the indices that
    must be present (all three for a weekly run; a backfill chunk from before an index's history
    begins in the source requires only the others).
    """
    config = config or GateConfig()
    if _preloading is not None:
        _preloading.join()  # one importer at a time: the main thread waits rather than racing it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GX import-time deprecation chatter
        import great_expectations as gx
        from great_expectations.checkpoint import UpdateDataDocsAction
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.expectations.metadata_types import FailureSeverity

    context = _context(docs)
    source = context.data_sources.add_pandas("batch")
    run_id = RunIdentifier(run_name=docs.run_name if docs else "gate", run_time=datetime.now(UTC))
    revised = revisions(batch, published)

    findings: list[Finding] = []
    pages: dict[str, str] = {}
    for suite_name, frame, expectations in (
        ("daily_close", batch, _row_expectations(today)),
        ("index_summary", summarize(batch), _summary_expectations(week_ending, required)),
        ("session_coverage", session_coverage(batch, week_ending), _coverage_expectations(week_ending)),
        ("daily_move", daily_moves(batch), _move_expectations(config)),
        ("revisions", revised, _revision_expectations(config)),
    ):
        asset = source.add_dataframe_asset(suite_name)
        batch_def = asset.add_batch_definition_whole_dataframe(suite_name)
        suite = gx.ExpectationSuite(name=suite_name)
        for name, expectation in expectations:
            expectation.description = name  # what Data Docs shows for the expectation
            expectation.meta = {"name": name}
            suite.add_expectation(expectation)
        suite = context.suites.add(suite)
        id_cols = [c for c in _ID_COLUMNS[suite_name] if c in frame.columns]
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=suite_name, data=batch_def, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"gate-{suite_name}",
                validation_definitions=[definition],
                actions=[UpdateDataDocsAction(name="data_docs", site_names=["local"])] if docs else [],
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": id_cols},
            )
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outcome = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=run_id)
        for result_id, result in outcome.run_results.items():
            if docs is not None:
                (site,) = context.get_docs_sites_urls(resource_identifier=result_id, site_name="local")
                pages[suite_name] = site["site_url"].removeprefix("file://")
            for r in result.results:
                findings.append(_finding(r, suite_name, id_cols, FailureSeverity))

    return GateReport(
        checks=findings,
        revisions=_revision_records(revised, config.revision_tolerance),
        docs=pages,
        docs_index=str(docs.docs_dir / "index.html") if docs else None,
    )


def _finding(r: Any, suite_name: str, id_cols: list[str], severities: Any) -> Finding:
    cfg = r.expectation_config
    name = cfg.meta.get("name", cfg.type)
    severity = WARNING if cfg.severity == severities.WARNING else ERROR
    if r.success:
        return Finding(
            expectation=name, suite=suite_name, success=True, unexpected_count=0, severity=severity, kind=cfg.type
        )
    res = r.result or {}
    sample = [_clean(row, id_cols) for row in (res.get("unexpected_index_list") or [])[:3]]
    error = _exception_message(r.exception_info or {})
    if error:
        # A check that could not even run (e.g. its column is missing) is a failure too.
        sample = [{"error": error}]
    return Finding(
        expectation=name,
        suite=suite_name,
        success=False,
        unexpected_count=int(res.get("unexpected_count") or 0),
        sample=sample or _observed(res),
        severity=severity,
        kind=cfg.type,
    )


def _revision_records(revised: pd.DataFrame, tolerance: float) -> list[dict[str, Any]]:
    changed = revised[revised["change"].abs() > tolerance]
    return [
        {
            "index_code": r.index_code,
            "trade_date": r.trade_date.date(),
            "published_close": float(r.published_close),
            "close": float(r.close),
            "change": float(r.change),
        }
        for r in changed.itertuples()
    ]


def _exception_message(info: dict[str, Any]) -> str | None:
    # GX reports exceptions either flat or keyed by the metric that raised them.
    candidates = [info, *[v for v in info.values() if isinstance(v, dict)]]
    for c in candidates:
        if c.get("raised_exception"):
            return str(c.get("exception_message") or "could not be evaluated").removeprefix("Error: ")
    return None


def _clean(row: Any, id_cols: list[str]) -> dict[str, Any]:
    if isinstance(row, dict):
        return {k: row[k] for k in id_cols if k in row}
    return {"row": row}


def _observed(res: dict[str, Any]) -> list[dict[str, Any]]:
    details = res.get("details") or {}
    mismatched = details.get("mismatched")
    if mismatched:
        return [{"columns": mismatched}]
    if res.get("partial_missing_list"):
        return [{"missing": res["partial_missing_list"]}]
    if res.get("observed_value") is not None:
        return [{"observed": res["observed_value"]}]
    return []


def result_rows(report: GateReport) -> list[dict[str, Any]]:
    """One row per evaluated expectation, for the meta.validation_results record."""
    return [
        {
            "suite": c.suite,
            "expectation": c.expectation,
            "severity": c.severity,
            "success": c.success,
            "unexpected_count": c.unexpected_count,
            "sample": json.dumps(c.sample, default=_fmt_value, ensure_ascii=False),
        }
        for c in report.checks
    ]
