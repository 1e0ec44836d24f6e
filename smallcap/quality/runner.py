"""Great Expectations' machinery: an in-memory context, one checkpoint per suite, Data Docs on disk."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smallcap.quality.findings import finding
from smallcap.quality.results import Finding
from smallcap.quality.suites import Suite


@dataclass(frozen=True)
class DocsSite:
    """Where GX writes Data Docs (static HTML) and the validation results the site indexes."""

    docs_dir: Path
    results_dir: Path
    run_name: str


def gx_context(docs: DocsSite | None) -> Any:
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


def import_gx() -> None:
    """Import Great Expectations without its import-time deprecation chatter (idempotent)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations  # noqa: F401
        import great_expectations.expectations  # noqa: F401


def run_suites(
    suites: Iterable[Suite], docs: DocsSite | None, sample_rows: int = 20
) -> tuple[list[Finding], dict[str, str]]:
    """Validate each suite's frame through its own checkpoint, keeping `sample_rows` unexpected rows
    per expectation (GX's SUMMARY format: the count exact, the rows bounded; COMPLETE keeps them all).

    Returns every expectation's Finding and, with a docs site, suite -> the HTML page of this validation.
    """
    import_gx()
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.expectations.metadata_types import FailureSeverity

    context = gx_context(docs)
    source = context.data_sources.add_pandas("batch")
    run_id = RunIdentifier(run_name=docs.run_name if docs else "gate", run_time=datetime.now(UTC))

    findings: list[Finding] = []
    built: dict[str, Any] = {}  # suite -> its validation result's identifier
    for s in suites:
        asset = source.add_dataframe_asset(s.name)
        batch_def = asset.add_batch_definition_whole_dataframe(s.name)
        suite = gx.ExpectationSuite(name=s.name)
        for name, expectation in s.expectations:
            expectation.description = name  # what Data Docs shows for the expectation
            expectation.meta = {"name": name}
            suite.add_expectation(expectation)
        suite = context.suites.add(suite)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=s.name, data=batch_def, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"gate-{s.name}",
                validation_definitions=[definition],
                actions=[],
                result_format={
                    "result_format": "SUMMARY",
                    "partial_unexpected_count": sample_rows,
                    "unexpected_index_column_names": s.id_columns,
                },
            )
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outcome = checkpoint.run(batch_parameters={"dataframe": s.frame}, run_id=run_id)
        for result_id, result in outcome.run_results.items():
            built[s.name] = result_id
            for r in result.results:
                findings.append(finding(r, s.name, s.id_columns, FailureSeverity, sample_rows))
    return findings, _build_docs(context, built) if docs else {}


def _build_docs(context: Any, results: dict[str, Any]) -> dict[str, str]:
    """Render this run's pages and the site's index once, after every suite has run: GX's own
    per-checkpoint docs action rebuilds the whole index after each suite, which was most of the gate's time."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    suites = [ExpectationSuiteIdentifier(name) for name in results]  # the index links each suite's page
    context.build_data_docs(site_names=["local"], resource_identifiers=[*results.values(), *suites])
    pages = {}
    for name, result_id in results.items():
        (site,) = context.get_docs_sites_urls(resource_identifier=result_id, site_name="local")
        pages[name] = site["site_url"].removeprefix("file://")
    return pages
