"""The weekly run without orchestration: the flow's own body, each task swapped for its function.

Nothing is copied from flows/weekly_report.py: `weekly_report.fn` runs top to bottom as written,
with every Prefect task in the module replaced by the plain function it wraps (`task.fn`; its
`with_options` keeps it plain: no retries), the run logger by a standard logger, and the flow-run
id by a fresh uuid. The steps that exist only for Prefect's UI (artifacts, run tags) are left out.
Any task still reaching Prefect fails the run: the plain run never talks to a server.

    python -m bench.plain --data-dir DIR [--week-ending YYYY-MM-DD] [--source sample|csv] [--csv PATH]
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import sys
import time
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import ExitStack, contextmanager
from datetime import date
from types import SimpleNamespace
from typing import Any
from unittest import mock

# Steps that only exist for Prefect's UI: they have no plain counterpart.
ORCHESTRATION_ONLY = ("publish_artifacts", "publish_gate_summary", "publish_links", "tag_run")


class _PlainTask:
    """A task's function, timed, callable as the flow calls the task."""

    def __init__(self, task: Any, seconds: MutableMapping[str, float]) -> None:
        self.name, self.fn, self.seconds = task.name, task.fn, seconds
        functools.update_wrapper(self, task.fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.seconds[self.name] = self.seconds.get(self.name, 0.0) + time.perf_counter() - start

    def with_options(self, **options: Any) -> _PlainTask:
        return self  # retries and the like are orchestration


@contextmanager
def plain_flow(seconds: MutableMapping[str, float] | None = None) -> Iterator[Any]:
    """The flow body, callable like the flow, with no Prefect run around it or in it.

    With `seconds`, each step's time is added to it under the task's name, and the time to
    import the flow module under "import flow module".
    """
    seconds = {} if seconds is None else seconds
    start = time.perf_counter()
    from prefect.tasks import Task

    import flows.steps as steps
    import flows.weekly_report as module

    seconds["import flow module"] = time.perf_counter() - start
    run = SimpleNamespace(id=uuid.uuid4(), name="weekly-plain")
    patched = {}
    for mod in (module, steps):  # the flow and the steps it shares with the backfill
        patches: dict[str, Any] = {
            name: _PlainTask(obj, seconds) for name, obj in vars(mod).items() if isinstance(obj, Task)
        }
        patches.update({n: (lambda *args, **kwargs: None) for n in ORCHESTRATION_ONLY if hasattr(mod, n)})
        patches["flow_run"] = run
        patched[mod] = patches

    def refuse(task: Task, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"task {task.name!r} would run through Prefect in the plain run")

    with ExitStack() as stack:
        for mod, patches in patched.items():
            stack.enter_context(mock.patch.multiple(mod, **patches))
        stack.enter_context(mock.patch.object(Task, "__call__", refuse))
        # The run logger, wherever the flow or a task asks for it: a standard logger instead.
        for name, loaded in list(sys.modules.items()):
            if name.partition(".")[0] in ("flows", "tasks") and getattr(loaded, "get_run_logger", None) is not None:
                stack.enter_context(mock.patch.object(loaded, "get_run_logger", _plain_logger))
        yield module.weekly_report.fn


def _plain_logger() -> logging.Logger:
    return logging.getLogger("smallcap.plain")


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
