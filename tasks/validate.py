from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from smallcap.errors import SourceError
from smallcap.indices import INDEX_CODES
from smallcap.lake import commits, truth
from smallcap.quality import gate, quarantine, tracking
from smallcap.quality.gate import DocsSite, GateConfig, GateReport
from smallcap.report.page import verdict_page
from smallcap.sources.yahoo import fund_history


@task(name="verify committed lake files", cache_policy=NO_CACHE)
def verify_lake(
    lake_dir: Path, log: Sequence[commits.Commit], relanded: Collection[str] = ()
) -> dict[str, commits.Live]:
    """The files in force, each checked against its commit's checksum; a damaged one stops the run.

    Damaged files are moved aside. Those this run lands again (`relanded`: the same content, so the
    same path) are healed by it and only left out of the truth it compares with.
    """
    live = commits.live_files(log)
    found = commits.move_aside(lake_dir, commits.problems(lake_dir, live))
    if any(p.path not in relanded for p in found):
        raise commits.damaged_error([p for p in found if p.path not in relanded])
    return {path: entry for path, entry in live.items() if all(p.path != path for p in found)}


@task(name="read committed closes (lake)", cache_policy=NO_CACHE)
def committed_closes(
    lake_dir: Path, live: Mapping[str, commits.Live], codes: Collection[str], first: date | None, last: date | None
) -> pd.DataFrame:
    return truth.committed_closes(lake_dir, live, codes, first, last)


@task(name="validate batch (Great Expectations)", cache_policy=NO_CACHE)
def validate_batch(
    batch: pd.DataFrame,
    week_ending: date,
    today: date,
    published: pd.DataFrame | None = None,
    config: GateConfig | None = None,
    docs: DocsSite | None = None,
    required: Sequence[str] = INDEX_CODES,
) -> GateReport:
    return gate.validate(
        batch, week_ending=week_ending, today=today, published=published, config=config, docs=docs, required=required
    )


@task(name="compare R2000G with its tracking fund", cache_policy=NO_CACHE)
def track_fund(report: GateReport, batch: pd.DataFrame, fund: str, band_pp: float) -> GateReport:
    """The gate's verdict with one more warning check: R2000G's daily moves against a fund that tracks it."""
    index = tracking.index_closes(batch, "R2000G")
    if len(index) < 2:
        return report
    try:
        closes, dividends = fund_history(fund, index.index.min().date(), index.index.max().date())
    except SourceError as exc:  # a plausibility check: without the fund's answer the batch is not compared
        missing = gate.Finding(f"{fund} answers", "tracking", False, 0, [{"error": str(exc)}], severity=gate.WARNING)
        return replace(report, checks=[*report.checks, missing])
    found = tracking.strays(index, closes, dividends, band_pp)
    return replace(report, checks=[*report.checks, tracking.tracking_finding(found, "R2000G", fund, band_pp)])


@task(name="quarantine rejected batch", cache_policy=NO_CACHE)
def quarantine_batch(
    batch: pd.DataFrame | None,
    report: GateReport,
    quarantine_dir: Path,
    run_name: str,
    origin: Path | None,
    week_ending: date | None = None,
    batch_id: str | None = None,
) -> Path:
    folder = quarantine.keep(batch, report.to_dict(), report.reason(), quarantine_dir, run_name, origin)
    # A rejected run publishes nothing, so its verdict page stays with the batch it rejected.
    page = verdict_page(report, week_ending=week_ending, run_name=run_name, batch_id=batch_id, reason=report.reason())
    (folder / "report.html").write_text(page, encoding="utf-8")
    return folder


@task(name="publish gate summary to Prefect UI", cache_policy=NO_CACHE)
def publish_gate_summary(report: GateReport, batch_id: str) -> None:
    verdict = "passed" if report.success else "rejected"
    docs = f"; Data Docs {report.docs_index}" if report.docs_index else ""
    create_table_artifact(
        key="quality-gate",
        table=report.table(),
        description=f"Quality gate {verdict} batch {batch_id}: {report.summary()}{docs}",
    )
