"""The Friday deployment as prefect.yaml declares it, built in Python for `smallcap serve`.

prefect.yaml is the one definition: `prefect deploy` reads it for a server with a process worker,
and `smallcap serve` builds the same deployment from it (minus the work pool), so the two
cannot drift apart.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import yaml
from prefect.client.schemas.objects import ConcurrencyLimitConfig
from prefect.deployments.runner import RunnerDeployment
from prefect.flows import Flow
from prefect.schedules import Cron
from prefect.types.entrypoint import EntrypointType

from smallcap.errors import SmallcapError

PREFECT_YAML = Path(__file__).resolve().parents[1] / "prefect.yaml"
DEPLOYMENT = "friday-close"


def deployment_spec(path: Path = PREFECT_YAML, name: str = DEPLOYMENT) -> dict[str, Any]:
    """The deployment's entry in prefect.yaml."""
    if not path.is_file():
        raise SmallcapError(f"prefect.yaml not found at {path}: serve from a clone of the repository")
    for spec in yaml.safe_load(path.read_text(encoding="utf-8")).get("deployments") or []:
        if spec.get("name") == name:
            return spec
    raise SmallcapError(f"no deployment named {name!r} in {path}")


def _flow(entrypoint: str) -> Flow:
    # "flows/weekly_report.py:weekly_report" -> flows.weekly_report.weekly_report (an installed package,
    # so the served runs import it the same way from any working directory).
    file_path, attribute = entrypoint.split(":")
    return getattr(importlib.import_module(file_path.removesuffix(".py").replace("/", ".")), attribute)


def concurrency(spec: dict[str, Any]) -> ConcurrencyLimitConfig | int | None:
    limit = spec.get("concurrency_limit")
    return ConcurrencyLimitConfig(**limit) if isinstance(limit, dict) else limit


def served_deployment(parameters: dict[str, Any] | None = None, path: Path = PREFECT_YAML) -> RunnerDeployment:
    """The deployment `smallcap serve` runs: prefect.yaml's schedule, parameters, tags and limit.

    `parameters` override the yaml's (e.g. a data folder for this machine).
    """
    spec = deployment_spec(path)
    schedules = [
        Cron(s["cron"], timezone=s.get("timezone"), active=s.get("active", True)) for s in spec.get("schedules") or []
    ]
    return _flow(spec["entrypoint"]).to_deployment(
        name=spec["name"],
        schedules=schedules,
        parameters={**(spec.get("parameters") or {}), **(parameters or {})},
        tags=spec.get("tags"),
        description=spec.get("description"),
        concurrency_limit=concurrency(spec),
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
