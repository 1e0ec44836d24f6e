"""The step that refuses a batch, as the Prefect UI shows it: a Failed task with the reason as its message."""

from __future__ import annotations

import logging

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed, State


class _NoEmptyTraceback(logging.Filter):
    """Prefect logs a returned Failed state with exc_info=True and no exception: drop the 'NoneType: None'."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is None:
            record.exc_info = None
        return True


logging.getLogger("prefect.task_runs").addFilter(_NoEmptyTraceback())


@task(name="reject batch", cache_policy=NO_CACHE)
def reject_batch(reason: str) -> State:
    # Returned, not raised: red in the timeline with the one-line reason, without a traceback.
    return Failed(message=reason)
