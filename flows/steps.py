"""The steps weekly runs and backfills share: extract, check against the committed truth, commit, build.

Each step is a few task calls. A step that refuses the run keeps what a person needs (the batch in
quarantine), ends a Failed task named by the reason and raises `Rejected`; `writing` is the one place
a refused or failed run ends: its records are written, whatever it staged is dropped, the reason is
logged at ERROR and the run fails with that one line.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import pandas as pd
from prefect import get_run_logger
from prefect.exceptions import TerminationSignal
from prefect.runtime import flow_run

from smallcap import publish, stop, writer
from smallcap.errors import NotYetPublished, SmallcapError, TransientSourceError, UnreadableInput, one_line
from smallcap.lake import batches, commits, records
from smallcap.lake.recovery import recover
from smallcap.lake.truth import committed_file_frame
from smallcap.quality.gate import DocsSite, GateConfig, GateReport, input_failure
from smallcap.settings import Settings
from smallcap.sources import carried_by, get_source
from smallcap.sources.batch import AFTER_END, left_out_before
from smallcap.sources.freshness import wait_for_session
from smallcap.universe import Universe, read
from tasks.extract import extract_closes
from tasks.land import land_batch, stage_commit
from tasks.load import build_warehouse
from tasks.reconcile import quarantine_disagreement, reconcile_batches
from tasks.record import record_revisions, record_run, record_validation, stage_records, write_records
from tasks.validate import (
    committed_closes,
    publish_gate_summary,
    quarantine_batch,
    track_fund,
    validate_batch,
    verify_lake,
)
from tasks.verdict import reject_batch
from warehouse.health import warehouse_health

NEW_YORK = ZoneInfo("America/New_York")


class Rejected(SmallcapError):
    """The run refused its batch (gate, cross-check, source): already kept for a person; the run fails."""


def refuse(reason: str) -> NoReturn:
    """End the refusing step as a Failed task named by the reason, then fail the run with it."""
    reject_batch(reason, return_state=True)  # its state, not an exception: the run goes on to `writing`
    raise Rejected(reason)


@dataclass
class Run:
    """One weekly run or backfill: who it is, what it has recorded so far, how it ended."""

    settings: Settings
    kind: str  # weekly | backfill
    run_name: str
    flow_run_id: str = field(default_factory=lambda: str(flow_run.id))
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    today: date = field(default_factory=lambda: datetime.now(NEW_YORK).date())
    week: date | None = None
    batch_id: str | None = None
    batch_rows: int = 0  # the batch the gate last saw
    rows: int = 0  # rows committed by this run
    log: list[commits.Commit] = field(default_factory=list)
    base: int = 0  # the last commit this run has read (or published itself)
    live: dict[str, commits.Live] = field(default_factory=dict)
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failure: str | None = None
    notes: list[str] = field(default_factory=list)  # what the run left out, said in its outputs and record
    only: tuple[str, ...] = ()  # a backfill of some indices only (--index); empty: the whole universe

    @property
    def universe(self) -> Universe:
        """The indices and pairs of this run (the settings' universe file)."""
        return read(self.settings.universe)

    @property
    def ids(self) -> dict[str, str]:
        return {"flow_run_id": self.flow_run_id, "run_name": self.run_name}

    def add(self, table: str, rows: list[dict[str, Any]]) -> None:
        self.pending.setdefault(table, []).extend(rows)

    def finish(self, gate_status: str, outputs: dict[str, str] | str) -> None:
        if isinstance(outputs, dict) and self.notes:
            outputs = {**outputs, "notes": "; ".join(self.notes)}
        row = record_run(
            **self.ids,
            week_ending=self.week,
            source=self.settings.source,
            batch_id=self.batch_id,
            rows=self.rows if self.kind == "backfill" else self.batch_rows,
            gate_status=gate_status,
            started_at=self.started,
            outputs=outputs,
        )
        self.add("pipeline_runs", [row])


@contextmanager
def writing(run: Run) -> Iterator[publish.Release]:
    """Hold the data folder, recover what a dead run left, and end a refused or failed run in one place.

    A second writer that waits in vain raises `WriterBusy` from here: that run has done nothing.
    """
    settings, say = run.settings, get_run_logger()
    with writer.exclusive(settings.data_dir, run.run_name, settings.writer_wait_seconds, say.info):
        for line in recover(settings.data_dir, settings.lake_dir, settings.quarantine_dir):
            say.warning(line)
        if warning := warehouse_health(settings.warehouse_path, bool(commits.read_log(settings.lake_dir))):
            say.warning(warning)
        release = publish.Release(settings.data_dir, f"{run.flow_run_id[:8]}-{os.getpid()}")
        try:
            yield release
        except (Exception, stop.Interrupted, TerminationSignal) as exc:  # a signal ends the run here too
            release.discard()  # nothing of a failed run is published
            for row in run.pending.get("revisions", []):
                row["accepted"] = False  # found, but never committed
            if isinstance(exc, TerminationSignal):  # Prefect's own SIGTERM handler raised it
                stop.ask(exc.signal)
            fault = not isinstance(exc, (SmallcapError, stop.Interrupted, TerminationSignal))
            if isinstance(exc, UnreadableInput):
                run.failure = _keep_unreadable(run, exc)
            else:
                run.failure = stop.line() if not isinstance(exc, Exception) else one_line(exc, settings.data_dir)
            # The reason at ERROR, where a person filtering the run's logs looks; a fault with its traceback.
            say.error("%s", run.failure, exc_info=exc if fault else None)
            if run.batch_id is not None:  # a run that got no batch has nothing to record
                run.finish("failed", run.failure)
            try:
                write_records(settings.lake_dir, run.pending, f"{run.flow_run_id}-failed")
            except OSError as unwritten:  # the folder that refused the run's work refuses its records too
                say.warning("the failed run's records were not written: %s", one_line(unwritten, settings.data_dir))


def kept_in(keep: Callable[[], Path], what: str = "batch") -> str:
    """Where a refused batch was kept; a quarantine that cannot be written (full disk, read-only
    folder) is named instead, so the refusal's reason still reaches the person."""
    try:
        return f"{what} kept in {keep()}"
    except OSError as exc:
        return f"{what} not kept: {one_line(exc)}"


def _keep_unreadable(run: Run, exc: UnreadableInput) -> str:
    """An input file that cannot even be parsed: no batch for GX, but kept and recorded like one."""
    settings = run.settings
    origin = get_source(settings.source, settings.csv_path).origin
    report: GateReport = input_failure(str(exc))
    run.batch_id = hashlib.sha256(origin.read_bytes()).hexdigest()[:16] if origin and origin.is_file() else "unreadable"
    run.add("validation_results", record_validation(report, **run.ids, batch_id=run.batch_id))
    publish_gate_summary(report, run.batch_id)
    kept = kept_in(
        lambda: quarantine_batch(None, report, settings.quarantine_dir, run.run_name, origin, run.week, run.batch_id),
        "input",
    )
    return f"{report.reason()} ({kept})"


def extract(
    run: Run,
    first: date,
    last: date,
    source: str | None = None,
    codes: tuple[str, ...] | None = None,
    wait_for: date | None = None,
    label: str = "",
) -> pd.DataFrame:
    """A batch from the run's source (or the cross-check `source`), with the configured retries."""
    stop.check()
    settings = run.settings
    name = source or settings.source
    retrying = extract_closes.with_options(
        retries=settings.extract_retries,
        retry_delay_seconds=settings.extract_retry_delays() or 0,
        task_run_name=f"extract {name} closes {label}".strip() if label else None,
    )

    def fetch() -> pd.DataFrame:
        return retrying(name, None if source else settings.csv_path, first, last, codes)

    try:
        if wait_for is None:
            return fetch()
        say = get_run_logger().info
        window, every = settings.freshness_window_minutes, settings.freshness_interval_minutes
        codes = run.universe.started_by(wait_for)
        return wait_for_session(fetch, wait_for, codes, name, window, every, say)
    except TransientSourceError as exc:
        where = "cross-check " if source else ""
        raise Rejected(f"{where}{exc} (gave up after {settings.extract_retries + 1} attempts)") from None
    except NotYetPublished as exc:
        raise Rejected(str(exc)) from None


def verify(run: Run, batch: pd.DataFrame | None = None) -> None:
    """Read the commit log and check every committed file (a batch may heal the files it lands again)."""
    stop.check()
    run.log = commits.read_log(run.settings.lake_dir)
    run.base = commits.head(run.log)
    whole = batch is not None and not batch.empty and {"source", "index_code"} <= set(batch.columns)
    relanded = batches.relative_paths(batch) if whole else set()
    run.live = verify_lake(run.settings.lake_dir, run.log, relanded)


def gate(
    run: Run,
    batch: pd.DataFrame,
    allow_revisions: bool,
    week_ending: date,
    required: Sequence[str] | None = None,
    docs: bool = True,
    screen: bool = False,
) -> GateReport:
    """The quality gate, revisions compared with the committed truth; a rejected batch goes to quarantine.

    `required`: the indices the batch must hold (default: every index of the universe begun by the week).
    `screen`: a refused batch is only reported back (nothing recorded or quarantined, the run goes on)."""
    stop.check()
    settings = run.settings
    if required is None:
        required = run.universe.started_by(week_ending)
    if run.kind == "backfill" and week_ending != run.week:
        # Rows after a chunk's end are the next chunks' to land, not left out: nothing to name.
        batch = batch.copy()
        batch.attrs.pop(AFTER_END, None)
    if run.kind == "weekly" and (note := left_out_before(batch)):
        get_run_logger().warning("%s", note)  # a long history is not landed by a weekly run: say so
        run.notes.append(note)
    run.batch_id, run.batch_rows = batches.batch_id(batch), len(batch)
    codes, first, last = [], None, None
    if {"index_code", "trade_date"} <= set(batch.columns) and batch["trade_date"].notna().any():
        codes = sorted(set(batch["index_code"].dropna().astype(str)))
        days = pd.to_datetime(batch["trade_date"]).dropna()
        first, last = days.min().date(), days.max().date()
    truth = committed_closes(settings.lake_dir, run.live, codes, first, last)
    config = GateConfig.from_settings(settings, allow_revisions=allow_revisions)
    site = DocsSite(settings.docs_dir, settings.gx_results_dir, run.run_name) if docs else None
    try:
        report = validate_batch(batch, week_ending, run.today, truth, config, site, required)
    except OSError as exc:  # Data Docs cannot be written (full disk, read-only folder): the verdict still counts
        if site is None:
            raise
        get_run_logger().warning("Data Docs not written: %s", one_line(exc))
        site, docs = None, False
        report = validate_batch(batch, week_ending, run.today, truth, config, None, required)
    if settings.tracking_check and settings.source == "yahoo" and "R2000G" in codes:
        report = track_fund(report, batch, settings.tracking_fund, settings.tracking_band_pp)
    if screen and not report.success:
        run.batch_id, run.batch_rows = None, 0
        return report
    run.add("validation_results", record_validation(report, **run.ids, batch_id=run.batch_id))
    run.add("revisions", record_revisions(report, **run.ids, batch_id=run.batch_id))
    if docs:
        publish_gate_summary(report, run.batch_id)
    for warning in report.warnings:
        get_run_logger().warning("gate warning (batch passes): %s", warning.line())
    if not report.success:
        origin = get_source(settings.source, settings.csv_path).origin
        kept = kept_in(
            lambda: quarantine_batch(
                batch, report, settings.quarantine_dir, run.run_name, origin, week_ending, run.batch_id
            )
        )
        refuse(f"{report.reason()} ({kept})")
    return report


def cross_check(run: Run, batch: pd.DataFrame, first: date, last: date, label: str = "") -> None:
    """With a check source, the batch must agree with it on every common day before anything lands."""
    settings = run.settings
    if settings.check_source is None:
        return
    have = set(batch["index_code"]) if "index_code" in batch else set()
    codes = tuple(c for c in run.universe.codes if c in carried_by(settings.check_source) and c in have)
    if not codes:  # e.g. a backfill of one index the check source does not carry: nothing to compare
        get_run_logger().info("%s carries none of %s: not cross-checked", settings.check_source, ",".join(sorted(have)))
        return
    check = extract(run, first, last, settings.check_source, codes, label=label)
    result = reconcile_batches(batch, check, settings.reconcile_tolerance)
    if not result.success:
        kept = kept_in(lambda: quarantine_disagreement(batch, check, result, settings.quarantine_dir, run.run_name))
        refuse(f"{result.reason()} ({kept})")
    get_run_logger().info("reconciled with %s: %d common closes agree", settings.check_source, result.compared)


def commit(run: Run, batch: pd.DataFrame, release: publish.Release) -> commits.Commit:
    """Land the batch and stage the commit that makes it the truth; the release publishes both."""
    stop.check()
    lake = run.settings.lake_dir
    files = land_batch(batch, lake)
    done = stage_commit(lake, run.log, files, release, kind=run.kind, run_id=run.flow_run_id, run_name=run.run_name)
    run.log = [*run.log, done]
    run.rows += len(batch)
    for f in done.files:
        run.live[f.path] = commits.Live(f.path, f.sha256, done.seq)
    return done


def build(run: Run, release: publish.Release, outputs: Callable[[], dict[str, str]]) -> Path:
    """The warehouse from the committed files plus this run's commit, with this run's records, staged."""
    stop.check()
    settings = run.settings
    run.finish("passed", outputs())
    meta = {
        t: records.with_rows(records.read_all(settings.lake_dir, t), t, run.pending.get(t, [])) for t in records.SCHEMAS
    }
    # Only the universe's indices: one taken out of the file leaves the marts, its lake files stay.
    files = committed_file_frame(settings.lake_dir, run.live, run.universe.codes)
    target = release.staged(settings.warehouse_path, last=True)
    stage_records(release, settings.lake_dir, run.pending, run.flow_run_id)
    return build_warehouse(files, target, meta, run.universe)


def publish_release(run: Run, release: publish.Release) -> None:
    """The commit point, taken only if no other commit landed since this run read the log, nor a signal
    asked the run to stop; once taken, the publish completes whatever signal comes."""
    stop.check()
    latest = commits.head(commits.read_log(run.settings.lake_dir))
    if latest != run.base:
        raise SmallcapError(
            f"the lake moved on to commit {latest} while this run built on commit {run.base}: nothing was "
            "published; run again"
        )
    with stop.deferred():
        release.publish()
    run.base = commits.head(run.log)


def report_paths(settings: Settings, week: date) -> dict[str, Path]:
    """Where the run's outputs are published (its run record lists them)."""
    out = settings.reports_dir / f"{week:%Y-%m-%d}"
    return {
        "warehouse": settings.warehouse_path,
        "draft": out / "comment.ja.txt",
        "chart": out / "ratio.png",
        "draft_en": out / "comment.en.txt",
        "chart_svg": out / "ratio.svg",
        "page": out / "report.html",
    }


def outputs(
    settings: Settings, week: date, paths: dict[str, Path], drafts: dict[str, Any], notes: Sequence[str] = ()
) -> dict[str, str]:
    """What a completed weekly run returns: the published paths, the drafts' status and the run's notes
    (an edited draft kept; `notes` from other steps, e.g. a fund shown without figures)."""
    ja, en = drafts["ja"], drafts["en"]
    return {
        "week_ending": f"{week:%Y-%m-%d}",
        "warehouse": str(paths["warehouse"]),
        "lake": str(settings.lake_dir),
        "draft": str(ja.draft),
        "draft_status": ja.status,  # created | replaced | kept (edited: this run's draft went beside it)
        "draft_written": str(ja.written),
        "draft_en": str(en.draft),
        "draft_en_status": en.status,
        "draft_en_written": str(en.written),
        "chart": str(paths["chart"]),
        "chart_svg": str(paths["chart_svg"]),
        "page": str(paths["page"]),
        "notes": "; ".join([*(d.message for d in drafts.values() if d.status == "kept"), *notes]),
    }
