"""End to end, with the real binaries: demo -> Prometheus -> Alertmanager -> a team lead's webhook.

A running ServicePulse demo is fed a scenario in which the technical team stops
answering. Prometheus (scraping every second, with the project's own rule
files, unchanged) raises ServicePulseSLABreachedOpenTickets for technical;
Alertmanager, configured by deploy/alertmanager/render.py, routes it to the
technical lead's webhook — a small HTTP server in this test — with its labels
and annotations; the billing and sales leads get nothing; when the team
answers again the alert resolves and the lead gets the "resolved" message.

What is shortened for the test, and only that: Prometheus scrapes and
evaluates every second (production: 15 s), Alertmanager waits 1 s before the
first notification of a group and 1 s between updates (render.py's timing
options; production 30 s / 5 m), and the demo runs 480x faster than real
time. Rules, `for:` durations, routes, receivers and inhibitions are the
shipped ones.

Scenario (simulated time, the demo's --policy below): urgent and high
tickets must get a first response within 2 h; the other tickets have no
target, so the normal operation of billing and sales (e-mail answered in
hours) breaches nothing. technical stops answering 10 min after the start
for 12 h. Its urgent/high e-mails breach from 2 h 10 min on (16 s wall),
the alert fires 1 min later (`for: 1m`, wall time), and resolves once the
backlog drain has answered every late ticket (the simulator replays the
postponed answers in order, compressed into half the outage).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.monitoring.prometheus import demo_config
from tests.processes import Processes, free_port, wait_until_up
from tests.prometheus import ALERTMANAGER, binary, query, start_prometheus

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules"
RENDER = ROOT / "deploy" / "alertmanager" / "render.py"
TEAMS = ("billing", "technical", "sales")
ALERT = "ServicePulseSLABreachedOpenTickets"

SPEED = 480.0  # simulated seconds per wall second
TARGET = 2 * 3600  # first-response target of urgent/high tickets (simulated s)
OUTAGE_START = 600.0  # simulated s after the demo's start
OUTAGE_END = OUTAGE_START + 12 * 3600
FIRE_BY = 150.0  # wall s after the start: breaches from ~16 s, + for 1m, + slack
RESOLVE_BY = 260.0  # wall s: outage ends at 91 s (measured: fired at ~79 s, resolved at ~138 s)

POLICY = f"""\
policies:
  - name: urgent
    match: {{priority: urgent}}
    targets: {{first_response: {TARGET // 60}m}}
  - name: high
    match: {{priority: high}}
    targets: {{first_response: {TARGET // 60}m}}
"""

pytestmark = pytest.mark.timeout(420)


@dataclass
class Webhook:
    """The team leads' webhook: every POST, by path (/billing, /technical, ...)."""

    port: int
    received: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def notifications(self, path: str) -> list[tuple[float, dict[str, Any]]]:
        with self.lock:
            return [(t, body) for t, p, body in self.received if p == path]

    def paths(self) -> set[str]:
        with self.lock:
            return {p for _, p, _ in self.received}


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            with hook.lock:
                hook.received.append((time.monotonic(), self.path, body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


def render_alertmanager(config: Path, hook: str) -> None:
    """The shipped routing tree, the leads' URLs from the environment, 1 s group timings."""
    env = {
        **os.environ,
        "SERVICEPULSE_TEAMS": ",".join(TEAMS),
        "SERVICEPULSE_FALLBACK_WEBHOOK": f"{hook}/unrouted",
        "SERVICEPULSE_LEAD_WEBHOOK_PLATFORM": f"{hook}/platform",
        **{f"SERVICEPULSE_LEAD_WEBHOOK_{t.upper()}": f"{hook}/{t}" for t in TEAMS},
    }
    subprocess.run(
        [
            sys.executable, str(RENDER), "--out", str(config),
            "--group-wait", "1s", "--critical-group-wait", "1s", "--group-interval", "1s",
        ],
        env=env, check=True,
    )  # fmt: skip


def start_alertmanager(procs: Processes, tmp_path: Path, port: int, hook: str) -> None:
    config = tmp_path / "alertmanager.yml"
    render_alertmanager(config, hook)
    am = procs.start(
        "alertmanager",
        [
            binary(*ALERTMANAGER),
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
    )
    wait_until_up(f"http://127.0.0.1:{port}/-/ready", am, "alertmanager")


def arrivals_per_hour(start: float) -> float:
    """Peak arrival rate giving enough urgent/high tickets whatever the hour and weekday.

    The simulator follows an hour-of-day and weekday profile (as low as 2 % of the
    peak on a Sunday night); the technical team's breaches need a few dozen
    contacts in the first 10 simulated hours of the outage.
    """
    from streams.simulator import HOUR_PROFILE, WEEKDAY_FACTOR

    share = 0.0
    for hour in range(10):
        t = datetime.fromtimestamp(start + OUTAGE_START + hour * 3600, UTC)
        share += HOUR_PROFILE[t.hour] * WEEKDAY_FACTOR[t.weekday()]
    return float(min(6000, max(1200, math.ceil(600 / share))))


def alerts_of(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [a for a in body.get("alerts", []) if a["labels"].get("alertname") == name]


@pytest.mark.prometheus
def test_team_that_stops_answering_pages_its_lead_and_only_its_lead(
    tmp_path: Path, webhook: Webhook
) -> None:
    binary("prometheus")  # skip before anything starts
    promtool = binary("promtool")

    demo_port, prom_port, am_port = free_port(), free_port(), free_port()
    hook = f"http://127.0.0.1:{webhook.port}"

    # --- Prometheus: the project's rule files, unchanged; 1 s scrape and evaluation
    prom_config = tmp_path / "prometheus.yml"
    rule_files = [str(RULES / "recording.yml"), str(RULES / "alerts.yml")]
    prom_config.write_text(yaml.safe_dump(demo_config(demo_port, am_port, rule_files)))
    checked = subprocess.run(
        [promtool, "check", "config", str(prom_config)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    policy = tmp_path / "policy.yml"
    policy.write_text(POLICY)

    procs = Processes(tmp_path)
    try:
        start_alertmanager(procs, tmp_path, am_port, hook)
        start_prometheus(procs, tmp_path, prom_config, prom_port)

        start = time.monotonic()
        demo = procs.start(
            "demo",
            [
                sys.executable, "-m", "streams.cli", "demo",
                "--host", "127.0.0.1", "--port", str(demo_port),
                "--scenario", "outage", "--outage-team", "technical",
                "--outage-start", str(OUTAGE_START), "--outage-end", str(OUTAGE_END),
                "--speed", str(SPEED), "--seed", "1", "--no-board",
                "--policy", str(policy),
                "--arrivals-per-hour", str(arrivals_per_hour(time.time())),
                "--duration", str(RESOLVE_BY + 30),
            ],
            cwd=ROOT,
        )  # fmt: skip
        wait_until_up(f"http://127.0.0.1:{demo_port}/metrics", demo, "servicepulse demo")
        outage_end_wall = start + OUTAGE_END / SPEED

        # --- the technical lead is told, with labels and annotations
        fired: tuple[float, dict[str, Any]] | None = None
        while fired is None and time.monotonic() < start + FIRE_BY:
            assert demo.poll() is None, "the demo stopped"
            for t, body in webhook.notifications("/technical"):
                if any(a["status"] == "firing" for a in alerts_of(body, ALERT)):
                    fired = (t, body)
                    break
            time.sleep(0.5)
        assert fired is not None, f"no {ALERT} for technical within {FIRE_BY} s\n" + procs.tail()
        fired_at, body = fired
        assert body["receiver"] == "lead-technical"
        (alert,) = [a for a in alerts_of(body, ALERT) if a["status"] == "firing"]
        assert alert["labels"] == {
            "alertname": ALERT,
            "team": "technical",
            "target": "first_response",
            "severity": "warning",
            "category": "sla",
        }
        annotations = alert["annotations"]
        assert annotations["summary"] == (
            "Team technical has open tickets past their first_response SLA deadline"
        )
        late = int(annotations["description"].split()[0])
        assert late >= 1
        # the count the lead reads is one Prometheus recorded (1 s evaluations, last 3 min)
        recorded = query(
            f"http://127.0.0.1:{prom_port}",
            "team_target:servicepulse_sla_breached_open_tickets:sum"
            '{team="technical",target="first_response"}[3m]',
        )
        assert late in {int(float(v)) for r in recorded for _, v in r["values"]}, recorded
        assert annotations["description"] == (
            f"{late} open ticket(s) of team technical are past their first_response deadline "
            "and still waiting (threshold: 1 for first_response and next_reply, 10 for "
            "resolution)."
        )
        assert annotations["runbook_url"].endswith(
            "docs/runbooks.md#servicepulseslabreachedopentickets"
        )

        # --- answers resume: the alert resolves and the lead hears it
        resolved_at = None
        while resolved_at is None and time.monotonic() < start + RESOLVE_BY:
            assert demo.poll() is None, "the demo stopped"
            for t, body in webhook.notifications("/technical"):
                if any(a["status"] == "resolved" for a in alerts_of(body, ALERT)):
                    resolved_at = t
            time.sleep(0.5)
        assert resolved_at is not None, (
            f"{ALERT} for technical not resolved within {RESOLVE_BY} s\n" + procs.tail()
        )
        assert resolved_at > outage_end_wall, "resolved before the team answered again"

        # --- nobody else was disturbed
        assert webhook.notifications("/billing") == []
        assert webhook.notifications("/sales") == []
        assert webhook.notifications("/unrouted") == []
        prom_url = f"http://127.0.0.1:{prom_port}"
        quiet = query(
            prom_url,
            "max_over_time(team_target:servicepulse_sla_breached_open_tickets:sum"
            '{team=~"billing|sales"}[10m])',
        )
        assert quiet and all(float(r["value"][1]) == 0 for r in quiet), quiet
        print(
            f"fired after {fired_at - start:.0f} s with {late} late ticket(s), outage ended after "
            f"{outage_end_wall - start:.0f} s, resolved after {resolved_at - start:.0f} s; "
            f"webhook paths: {sorted(webhook.paths())}"
        )
    finally:
        procs.stop()


def post_alerts(am: str, alerts: list[dict[str, str]]) -> None:
    payload = [
        {
            "labels": labels,
            "annotations": {"summary": labels["alertname"], "description": "test"},
        }
        for labels in alerts
    ]
    request = urllib.request.Request(
        f"{am}/api/v2/alerts",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def notified(webhook: Webhook, path: str) -> set[tuple[str, str, str]]:
    return {
        (a["labels"]["alertname"], a["labels"]["severity"], a["labels"].get("target", ""))
        for _, body in webhook.notifications(path)
        for a in body["alerts"]
    }


def deliver(
    tmp_path: Path, webhook: Webhook, sources: list[dict[str, str]], targets: list[dict[str, str]]
) -> None:
    """Alertmanager with the shipped routes; the sources first, then the targets, then wait."""
    port = free_port()
    am = f"http://127.0.0.1:{port}"
    procs = Processes(tmp_path)
    try:
        start_alertmanager(procs, tmp_path, port, f"http://127.0.0.1:{webhook.port}")
        post_alerts(am, sources)
        time.sleep(1)  # the sources are known when the targets arrive
        post_alerts(am, targets)
        time.sleep(6)  # group_wait 1 s: every notification, right or wrong, is in by now
    finally:
        procs.stop()


def test_inhibition_pipeline_down_silences_sla_alerts(tmp_path: Path, webhook: Webhook) -> None:
    """While the pipeline is down, its SLA and backlog symptoms stay quiet; others do not."""
    deliver(
        tmp_path,
        webhook,
        sources=[
            {"alertname": "ServicePulseNoEventsProcessed", "job": "servicepulse-worker",
             "severity": "critical", "category": "pipeline", "team": "platform"},
        ],
        targets=[
            {"alertname": "ServicePulseSLABreachedOpenTickets", "team": "technical",
             "severity": "warning", "category": "sla", "target": "first_response"},
            {"alertname": "ServicePulseBacklogGrowingFast", "team": "sales",
             "severity": "warning", "category": "backlog"},
            {"alertname": "ServicePulseCSATDrop", "team": "billing",
             "severity": "warning", "category": "satisfaction"},
        ],
    )  # fmt: skip
    assert notified(webhook, "/platform") == {("ServicePulseNoEventsProcessed", "critical", "")}
    assert notified(webhook, "/billing") == {("ServicePulseCSATDrop", "warning", "")}
    assert webhook.notifications("/technical") == []
    assert webhook.notifications("/sales") == []
    assert webhook.notifications("/unrouted") == []


def test_inhibition_critical_silences_its_warning_twin(tmp_path: Path, webhook: Webhook) -> None:
    breach = {"alertname": "ServicePulseSLABreach", "category": "sla", "team": "sales"}
    deliver(
        tmp_path,
        webhook,
        sources=[
            {**breach, "severity": "critical", "class": "urgent-or-vip", "target": "resolution"}
        ],
        targets=[
            # the same team and target: silenced
            {**breach, "severity": "warning", "class": "standard", "target": "resolution"},
            # another target: delivered
            {**breach, "severity": "warning", "class": "standard", "target": "next_reply"},
        ],
    )
    assert notified(webhook, "/sales") == {
        ("ServicePulseSLABreach", "critical", "resolution"),
        ("ServicePulseSLABreach", "warning", "next_reply"),
    }
    assert webhook.paths() == {"/sales"}
