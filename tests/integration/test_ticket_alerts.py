"""Ticket-level alerts end to end: engine -> AlertPusher -> a real Alertmanager -> webhooks.

The Alertmanager config is the generated one (streams/monitoring/alertmanager.py: routes by
team, ticket alerts only in working hours unless VIP or urgent, a breach inhibits the ticket's
warning, escalation to the manager); every receiver is a path of one local webhook server.
Engine time is wall time here, so Alertmanager sees the instants the engine computed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.alerting.pusher import AlertPusher
from streams.core.engine import Engine
from streams.core.forewarnings import clock_warnings
from streams.core.policy import parse_policy
from streams.monitoring.alertmanager import render_config, with_receiver
from streams.monitoring.config import CONFIG
from tests.processes import free_port
from tests.support import RecordingSink, created, event, reply

pytestmark = pytest.mark.prometheus

POLICY = {
    "policies": [
        {
            "name": "vip-urgent",
            "match": {"customer_tier": "vip", "priority": "urgent"},
            "targets": {"first_response": "15m"},
            "warn_before": {"first_response": "5m"},
        },
        {
            "name": "unrouted",
            "targets": {"first_response": "1h"},
            "warn_before": {"first_response": "10m"},
        },
    ],
}
ESCALATE_AFTER = 120.0


class Hooks:
    """Webhook receivers: every notification kept as (receiver path, payload)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hooks.received.append((self.path.strip("/"), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, receiver: str) -> list[tuple[str, str, str]]:
        """(alertname, ticket_id, status) of every alert notified to ``receiver``."""
        return [
            (a["labels"]["alertname"], a["labels"]["ticket_id"], a["status"])
            for path, payload in self.received
            if path == receiver
            for a in payload["alerts"]
        ]

    def wait_for(self, receiver: str, item: tuple[str, str, str], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if item in self.alerts(receiver):
                return
            time.sleep(0.1)
        raise AssertionError(f"{item} never reached {receiver}: {self.received}")


def am_config(hook: str, off_day: str) -> dict[str, Any]:
    """The generated routing (streams/monitoring/alertmanager.py) for billing and sales, whose
    working hours are a day that is not today; every receiver a path of ``hook``."""
    routing = replace(
        CONFIG.routing,
        teams=("billing", "sales"),
        working_days=(off_day,),
        working_timezone="UTC",
    )
    config = replace(CONFIG, routing=routing)
    fast = {"group_wait": "1s", "group_interval": "1s", "critical_group_wait": "1s"}
    return render_config(with_receiver(hook, {}, config), config=config, **fast)


@pytest.fixture()
def alertmanager(tmp_path: Path) -> Iterator[tuple[str, Hooks]]:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        pytest.fail("Alertmanager is not installed: tests/run.sh installs it")
    hooks = Hooks()
    today = datetime.now(UTC).weekday()
    off_day = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[
        (today + 3) % 7
    ]
    config = tmp_path / "am.yml"
    config.write_text(yaml.safe_dump(am_config(f"http://127.0.0.1:{hooks.port}", off_day)))
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/-/ready", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url, hooks
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        hooks.server.shutdown()


def push(engine: Engine, pusher: AlertPusher, now: float) -> None:
    engine.advance(now)
    warnings = clock_warnings(engine.open.values(), now, engine.policies.at_risk, ESCALATE_AFTER)
    pusher.update(warnings, now, wall_now=time.time())


def am_alerts(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/api/v2/alerts", timeout=5) as response:
        return list(json.loads(response.read()))


def test_a_vip_ticket_warns_at_its_lead_time_breaches_escalates_and_resolves_when_answered(
    alertmanager: tuple[str, Hooks],
) -> None:
    url, hooks = alertmanager
    engine = Engine(parse_policy(POLICY), RecordingSink())
    t0 = float(int(time.time()))  # whole seconds: the events carry their ts as text
    engine.ingest(created("vip", t0 - 599, customer_tier="vip", priority="urgent"))
    pusher = AlertPusher([url], ticket_url="https://help.example/t/{ticket_id}", resend=60)
    try:
        push(engine, pusher, t0)  # 9m59s of 15m: nothing yet
        time.sleep(2)
        assert hooks.received == []
        push(engine, pusher, t0 + 1)  # 10m: the 5-minute lead time
        hooks.wait_for("billing", ("ServicePulseTicketSLAAtRisk", "vip", "firing"))
        (alert,) = am_alerts(url)
        assert alert["labels"]["severity"] == "warning"
        assert alert["annotations"]["time_left"] == "5m"
        assert alert["annotations"]["ticket_url"] == "https://help.example/t/vip"
        push(engine, pusher, t0 + 302)  # past the 15m deadline
        hooks.wait_for("billing", ("ServicePulseTicketSLABreached", "vip", "firing"))
        # the warning is resolved (and, inhibited by its breach, not notified again)
        assert [
            a["labels"]["alertname"] for a in am_alerts(url) if a["status"]["state"] == "active"
        ] == ["ServicePulseTicketSLABreached"]
        push(engine, pusher, t0 + 301 + ESCALATE_AFTER + 1)  # still unanswered: escalate
        hooks.wait_for("billing-manager", ("ServicePulseTicketSLAEscalated", "vip", "firing"))
        engine.ingest(reply("vip", t0 + 301 + ESCALATE_AFTER + 2))
        push(engine, pusher, t0 + 301 + ESCALATE_AFTER + 3)
        hooks.wait_for("billing", ("ServicePulseTicketSLABreached", "vip", "resolved"))
        hooks.wait_for("billing-manager", ("ServicePulseTicketSLAEscalated", "vip", "resolved"))
        assert hooks.alerts("sales") == [] and hooks.alerts("unrouted") == []
        assert ("ServicePulseTicketSLABreached", "vip", "firing") not in hooks.alerts(
            "billing-manager"
        )
    finally:
        pusher.close()


def test_warnings_outside_working_hours_are_muted_while_a_vip_page_is_not(
    alertmanager: tuple[str, Hooks],
) -> None:
    url, hooks = alertmanager
    engine = Engine(parse_policy(POLICY), RecordingSink())
    t0 = float(int(time.time()))  # whole seconds: the events carry their ts as text
    engine.ingest(created("std", t0 - 3000))  # 50m of 1h: warns 10m before
    engine.ingest(created("vip", t0 - 601, customer_tier="vip", priority="urgent"))
    engine.ingest(created("paused", t0 - 3000))
    engine.ingest(event("ticket.status", "paused", t0 - 2000, status="pending"))
    pusher = AlertPusher([url])
    try:
        push(engine, pusher, t0)
        hooks.wait_for("billing", ("ServicePulseTicketSLAAtRisk", "vip", "firing"))
        firing = {a["labels"]["ticket_id"] for a in am_alerts(url)}
        assert firing == {"std", "vip"}  # the paused ticket never warns
        time.sleep(3)  # several group intervals
        assert ("ServicePulseTicketSLAAtRisk", "std", "firing") not in hooks.alerts("billing")
    finally:
        pusher.close()


def test_outside_working_hours_a_breach_pages_a_warning_waits_and_an_escalation_reaches_the_manager(
    alertmanager: tuple[str, Hooks],
) -> None:
    """The in-hours route muted every ticket alert of a standard ticket."""
    url, hooks = alertmanager
    engine = Engine(parse_policy(POLICY), RecordingSink())
    t0 = float(int(time.time()))  # whole seconds: the events carry their ts as text
    # standard tier, normal priority, the 1h policy with a 10m lead time (today is not a
    # working day of the fixture's Alertmanager: outside working hours)
    engine.ingest(created("warned", t0 - 3000))  # 50m of 1h: warning (from 50m)
    engine.ingest(created("late", t0 - 3660))  # 61m of 1h: breached 1m ago
    engine.ingest(created("escalated", t0 - 3600 - ESCALATE_AFTER - 60))  # breached 3m ago
    pusher = AlertPusher([url])
    try:
        push(engine, pusher, t0)
        hooks.wait_for("billing", ("ServicePulseTicketSLABreached", "late", "firing"))
        hooks.wait_for("billing", ("ServicePulseTicketSLABreached", "escalated", "firing"))
        hooks.wait_for("billing-manager", ("ServicePulseTicketSLAEscalated", "escalated", "firing"))
        # the warning reached Alertmanager (not inhibited, not silenced) ...
        firing = {(a["labels"]["alertname"], a["labels"]["ticket_id"]) for a in am_alerts(url)}
        assert ("ServicePulseTicketSLAAtRisk", "warned") in firing
        # ... and the working-hours interval mutes its notification (Alertmanager 0.25 marks
        # a time-muted alert "active": the muting happens when notifying, so the test is that
        # no notification arrives)
        time.sleep(3)  # several group intervals
        assert ("ServicePulseTicketSLAAtRisk", "warned", "firing") not in hooks.alerts("billing")
        assert hooks.alerts("unrouted") == []
        assert ("ServicePulseTicketSLABreached", "late", "firing") not in hooks.alerts(
            "billing-manager"
        )
    finally:
        pusher.close()


def test_a_restarted_process_re_announces_without_a_duplicate_notification(
    alertmanager: tuple[str, Hooks],
) -> None:
    url, hooks = alertmanager
    engine = Engine(parse_policy(POLICY), RecordingSink())
    t0 = float(int(time.time()))  # whole seconds: the events carry their ts as text
    # VIP (normal priority, the default 1h policy): routed at any hour
    engine.ingest(created("t1", t0 - 3000, team="sales", customer_tier="vip"))  # at risk from 48m
    engine.ingest(created("t2", t0 - 4000, team="sales", customer_tier="vip"))  # 66m: breached
    first = AlertPusher([url])
    push(engine, first, t0)
    hooks.wait_for("sales", ("ServicePulseTicketSLABreached", "t2", "firing"))
    hooks.wait_for("sales", ("ServicePulseTicketSLAAtRisk", "t1", "firing"))
    hooks.wait_for("sales-manager", ("ServicePulseTicketSLAEscalated", "t2", "firing"))
    first.close()
    before = len(hooks.received)
    second = AlertPusher([url])  # a new process: nothing announced yet
    try:
        push(engine, second, t0 + 1)
        time.sleep(4)
        assert second.sent == 3  # t1's warning, t2's breach and escalation
        assert len(hooks.received) == before
    finally:
        second.close()
