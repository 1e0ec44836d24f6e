"""Alerts: a failed run posts its week and one-line reason to a webhook (a real HTTP receiver on
127.0.0.1); `smallcap alerts setup` creates automations on the Prefect server that post for failed,
crashed, late-to-start and overdue runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from flows.weekly_report import weekly_report
from smallcap import alerts
from smallcap.errors import SmallcapError
from tests.conftest import YEAR, read_closes
from tests.webhook import webhook_receiver

WEEK = date(2025, 11, 21)


def test_alert_text_names_the_week_and_the_first_line_of_the_reason() -> None:
    text = alerts.alert_text("weekly-2025-11-21", "Failed", "batch rejected: close > 0: 1 row(s) fail\ntraceback…")
    assert (
        text == "smallcap: weekly-2025-11-21 Failed (week ending 2025-11-21): batch rejected: close > 0: 1 row(s) fail"
    )
    assert "weeks 2022-01-03 to 2025-12-12" in alerts.alert_text("backfill-2022-01-03-to-2025-12-12", "Crashed", "x")
    assert "(week unknown): no reason given" in alerts.alert_text("weekly-unresolved", "Failed", None)
    # As runs are named now: the week, then the run's short id.
    assert "(week ending 2025-11-21): x" in alerts.alert_text("weekly-2025-11-21-0a736571", "Failed", "x")
    assert "(week unknown)" in alerts.alert_text("weekly-unresolved-0a736571", "Failed", "x")
    assert len(alerts.one_line("x" * 5000)) == 1000


def test_durations() -> None:
    assert alerts.parse_duration("2h") == timedelta(hours=2)
    assert alerts.parse_duration("90m") == timedelta(minutes=90)
    with pytest.raises(SmallcapError, match="a duration is a number and a unit"):
        alerts.parse_duration("soon")


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/hook"


def test_post_raises_a_clear_error_when_the_webhook_is_down() -> None:
    url = _closed_port_url()
    with pytest.raises(alerts.AlertError, match=f"webhook {url} not reachable"):
        alerts.post(url, "hello", timeout=2)


def _bad_csv(tmp_path: Path) -> Path:
    frame = read_closes(YEAR)
    frame.loc[(frame["index_code"] == "SPX") & (frame["date"] == "2025-11-21"), "close"] = -6602.99
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_server")
def test_a_failing_run_posts_week_and_reason_and_a_good_run_posts_nothing(
    tmp_path: Path, year_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = {"source": "csv", "week_ending": WEEK, "data_dir": str(tmp_path / "d")}
    with webhook_receiver() as hook:
        monkeypatch.setenv("SMALLCAP_ALERT_WEBHOOK_URL", hook.url)
        assert weekly_report(csv_path=str(year_csv), **args, return_state=True).is_completed()
        state = weekly_report(csv_path=str(_bad_csv(tmp_path)), **args, return_state=True)
        assert state.is_failed()
        posts = hook.wait_for(1, 10)
    (post,) = posts  # one post: the failed run; the good run sent nothing
    assert post["content_type"].startswith("application/json")
    assert list(post["json"]) == ["text"]
    text = post["json"]["text"]
    assert "\n" not in text
    name = f"weekly-2025-11-21-{str(state.state_details.flow_run_id)[:8]}"
    assert text.startswith(f"smallcap: {name} Failed (week ending 2025-11-21): batch rejected by the quality")
    assert "close > 0: 1 row(s) fail, e.g. index_code=SPX trade_date=2025-11-21 close=-6602.99" in text
    assert text.endswith(state.message)  # the run's own one-line reason, whole


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_server")
def test_an_unreachable_webhook_does_not_change_the_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMALLCAP_ALERT_WEBHOOK_URL", _closed_port_url())
    missing = tmp_path / "missing.csv"
    state = weekly_report(
        source="csv", csv_path=str(missing), week_ending=WEEK, data_dir=str(tmp_path / "d"), return_state=True
    )
    assert state.is_failed()
    assert f"CSV file not found: {missing}" in state.message


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_server")
def test_alerts_setup_creates_automations_that_post_failed_late_and_overdue_runs(
    tmp_path: Path, prefect_log_level: None
) -> None:
    from prefect import get_client
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.states import Cancelled, Crashed, Late, Running

    from flows.alerts import BLOCK_NAME, FAILED, OVERDUE

    with webhook_receiver() as hook:
        out = CliRunner().invoke(app, ["alerts", "setup", "--url", hook.url, "--deadline", "10s"])
        assert out.exit_code == 0, out.output
        assert f"block        {BLOCK_NAME} → {hook.url}" in out.output
        assert CustomWebhookNotificationBlock.load(BLOCK_NAME).url == hook.url

        with get_client(sync_client=True) as client:
            (failed,) = client.read_automations_by_name(FAILED)
            (overdue,) = client.read_automations_by_name(OVERDUE)
            assert failed.trigger.expect == {
                "prefect.flow-run.Failed",
                "prefect.flow-run.Crashed",
                "prefect.flow-run.Late",
            }
            assert overdue.trigger.posture == "Proactive" and overdue.trigger.within == timedelta(seconds=10)
            assert overdue.trigger.after == {"prefect.flow-run.Running"}

            # A run that started and never finished (its process hung), and one that never started.
            hung = client.create_flow_run(weekly_report, name="weekly-2025-11-28")
            client.set_flow_run_state(hung.id, Running(), force=True)
            never = client.create_flow_run(weekly_report, name="weekly-2025-12-05")
            client.set_flow_run_state(never.id, Late(), force=True)
            # And one whose process died (the server, not the run, reports it as Crashed).
            died = client.create_flow_run(weekly_report, name="weekly-2025-12-12")
            client.set_flow_run_state(died.id, Crashed(message="process exited with code -9"), force=True)
        # And one that fails: no webhook env here, so only the server's automation can post it.
        missing = tmp_path / "missing.csv"
        state = weekly_report(
            source="csv", csv_path=str(missing), week_ending=WEEK, data_dir=str(tmp_path / "d"), return_state=True
        )
        assert state.is_failed()
        posts = [p["json"]["text"] for p in hook.wait_for(4, 60)]
        with get_client(sync_client=True) as client:  # leave the shared test server as it was
            client.set_flow_run_state(hung.id, Cancelled(), force=True)
            for automation in (failed, overdue):
                client.delete_automation(automation.id)

    failed_run = f"weekly-2025-11-21-{str(state.state_details.flow_run_id)[:8]}"
    by_run = {t.split()[1]: t for t in posts}
    assert set(by_run) == {failed_run, "weekly-2025-11-28", "weekly-2025-12-05", "weekly-2025-12-12"}, posts
    assert by_run[failed_run].startswith(f"smallcap: {failed_run} Failed (scheduled ")
    assert by_run[failed_run].endswith(f"): CSV file not found: {missing}")
    assert by_run["weekly-2025-12-05"].endswith("did not start on time")
    assert by_run["weekly-2025-12-12"].startswith("smallcap: weekly-2025-12-12 Crashed (scheduled ")
    assert by_run["weekly-2025-12-12"].endswith("): process exited with code -9")
    assert "weekly-2025-11-28 has not finished within 10 s of starting" in by_run["weekly-2025-11-28"]


@pytest.mark.flow  # the CLI end to end, in its own processes
def test_alerts_setup_refuses_without_a_prefect_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SMALLCAP_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    for name, command in (
        ("alerts setup", ["alerts", "setup", "--url", "http://127.0.0.1:9/hook"]),
        ("serve", ["serve"]),
    ):
        out = subprocess.run(
            [sys.executable, "-m", "app.cli", *command], env=env, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 1
        assert out.stderr.strip().splitlines()[-1].startswith(f"error: smallcap {name} needs a running Prefect server")


def test_post_sends_slack_json_in_utf8() -> None:
    with webhook_receiver() as hook:
        alerts.post(hook.url, "smallcap: 週次レポート failed")
        (post,) = hook.wait_for(1, 5)
    assert post["json"] == {"text": "smallcap: 週次レポート failed"}
    assert post["content_type"] == "application/json; charset=utf-8"
