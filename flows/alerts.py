"""Telling someone when a run fails or is late.

Two paths, both ending in the same one-line webhook message:
- `notify_webhook`, a flow hook: every run (`smallcap run`, served or deployed) posts to
  SMALLCAP_ALERT_WEBHOOK_URL itself when it fails or crashes.
- `setup_alerts` (`smallcap alerts setup`): Prefect automations on the server, which also catch
  what a run cannot report itself: a run that never started (Prefect marks it Late), a process
  that died (Crashed), and a run still going after the deadline.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect.logging.loggers import get_logger

from smallcap import alerts
from smallcap.settings import Settings

BLOCK_NAME = "smallcap-alerts"
FLOW_NAMES = ("weekly-report", "backfill")
FAILED = "smallcap: run failed, crashed or late to start"
OVERDUE = "smallcap: run not finished by the deadline"

_TERMINAL = {f"prefect.flow-run.{s}" for s in ("Completed", "Failed", "Crashed", "Cancelled", "TimedOut")}
# Same shape as alerts.alert_text, from what the server knows about the run.
_SCHEDULED = "{{ flow_run.expected_start_time.strftime('%Y-%m-%d %H:%M UTC') }}"
_BODY = (
    "smallcap: {{ flow_run.name }} {{ flow_run.state.name }} (scheduled " + _SCHEDULED + "): "
    "{% if flow_run.state.name == 'Late' %}did not start on time"
    "{% else %}{{ flow_run.state.message or 'no reason given' }}{% endif %}"
)
_OVERDUE_BODY = (
    "smallcap: {{ flow_run.name }} has not finished within {deadline} of starting "
    "(scheduled " + _SCHEDULED + ", state {{ flow_run.state.name }})"
)


def _human(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


def notify_webhook(flow: Any, flow_run: Any, state: Any) -> None:  # noqa: ANN401 (Prefect's hook signature)
    """on_failure / on_crashed hook: post the week and the one-line reason, if a webhook is configured.

    A webhook that cannot be reached is logged, never raised: the run's own failure is what matters.
    """
    url = Settings().alert_webhook_url
    if not url:
        return
    log = get_logger("smallcap.alerts")
    text = alerts.alert_text(flow_run.name, state.name, state.message)
    try:
        alerts.post(url, text)
    except alerts.AlertError as exc:
        log.warning("alert for %s not delivered: %s", flow_run.name, exc)
    else:
        log.info("alert for %s posted to the webhook", flow_run.name)


def setup_alerts(url: str, deadline: timedelta) -> dict[str, Any]:
    """Create (or replace) the webhook block and the two automations on the current Prefect server."""
    from prefect import get_client
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    block_id = CustomWebhookNotificationBlock(name="smallcap", url=url, json_data={"text": "{{body}}"}).save(
        BLOCK_NAME, overwrite=True
    )
    runs = {"prefect.resource.id": "prefect.flow-run.*"}
    ours = {"prefect.resource.role": "flow", "prefect.resource.name": list(FLOW_NAMES)}
    failed = AutomationCore(
        name=FAILED,
        description="A weekly or backfill run failed, crashed, or did not start on time.",
        trigger=EventTrigger(
            match=runs,
            match_related=ours,
            expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.Late"},
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[SendNotification(block_document_id=block_id, subject="smallcap run {{ flow_run.name }}", body=_BODY)],
    )
    overdue = AutomationCore(
        name=OVERDUE,
        description=f"A weekly or backfill run has been running for {_human(deadline)} without finishing.",
        trigger=EventTrigger(
            match=runs,
            match_related=ours,
            after={"prefect.flow-run.Running"},
            expect=_TERMINAL,
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=deadline,
        ),
        actions=[
            SendNotification(
                block_document_id=block_id,
                subject="smallcap run {{ flow_run.name }} is late",
                body=_OVERDUE_BODY.replace("{deadline}", _human(deadline)),
            )
        ],
    )
    created = {}
    with get_client(sync_client=True) as client:
        for automation in (failed, overdue):
            for old in client.read_automations_by_name(automation.name):
                client.delete_automation(old.id)
            created[automation.name] = client.create_automation(automation)
    return {"block": BLOCK_NAME, "block_id": block_id, "automations": created}
