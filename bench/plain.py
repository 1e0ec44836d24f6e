"""The weekly run without orchestration: the flow's own body, each task swapped for its function.

Nothing is copied from flows/weekly_report.py: `weekly_report.fn` runs top to bottom as written,
with every Prefect task in the module replaced by the plain function it wraps (`task.fn`), the
run logger by a standard logger, and the flow-run id by a fresh uuid. Artifacts are Prefect UI
objects, so publishing them is the one step left out. Any task still reaching Prefect fails the
run: the plain run never talks to a server.

    python -m bench.plain --data-dir DIR [--week-ending YYYY-MM-DD] [--source sample|csv] [--csv PATH]
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from datetime import date
from types import SimpleNamespace
from typing import Any
from unittest import mock

# Steps that only exist for Prefect's UI: they have no plain counterpart.
ORCHESTRATION_ONLY = ("publish_artifacts",)


def _timed(name: str, fn: Callable[..., Any], seconds: MutableMapping[str, float]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start

    return call


@contextmanager
def plain_flow(seconds: MutableMapping[str, float] | None = None) -> Iterator[Any]:
    """The flow body, callable like the flow, with no Prefect run around it or in it.

    With `seconds`, each step's time is added to it under the task's name, and the time to
    import the flow module under "import flow module".
    """
    seconds = {} if seconds is None else seconds
    start = time.perf_counter()
    from prefect.tasks import Task

    import flows.weekly_report as module

    seconds["import flow module"] = time.perf_counter() - start
    patches: dict[str, Any] = {
        name: _timed(obj.name, obj.fn, seconds) for name, obj in vars(module).items() if isinstance(obj, Task)
    }
    patches.update(dict.fromkeys(ORCHESTRATION_ONLY, lambda *args, **kwargs: None))
    patches["get_run_logger"] = lambda: logging.getLogger("smallcap.plain")
    patches["flow_run"] = SimpleNamespace(id=uuid.uuid4())

    def refuse(task: Task, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"task {task.name!r} would run through Prefect in the plain run")

    with mock.patch.multiple(module, **patches), mock.patch.object(Task, "__call__", refuse):
        yield module.weekly_report.fn


def run_week(seconds: MutableMapping[str, float] | None = None, **params: Any) -> dict[str, str]:
    """One weekly run, plain; returns the flow's outputs or raises with the flow's failure message."""
    with plain_flow(seconds) as body:
        start = time.perf_counter()
        result = body(**params)
        if seconds is not None:
            seconds["whole flow body"] = time.perf_counter() - start
    if not isinstance(result, dict):
        raise RuntimeError(getattr(result, "message", None) or repr(result))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.plain")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--week-ending", type=date.fromisoformat)
    parser.add_argument("--source")
    parser.add_argument("--csv", dest="csv_path")
    args = parser.parse_args(argv)
    seconds: dict[str, float] = {}
    outputs = run_week(seconds, **vars(args))
    print(json.dumps({"outputs": outputs, "seconds": seconds}))


if __name__ == "__main__":
    main()
