"""Ticket ids with URL-special characters reach a real Alertmanager.

The Alertmanager and its routing are test_ticket_alerts.py's (the generated config).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from streams.alerting.pusher import AlertPusher
from streams.core.engine import Engine
from streams.core.policy import parse_policy
from tests.integration.test_ticket_alerts import POLICY, Hooks, alertmanager, am_alerts, push
from tests.support import RecordingSink, created

__all__ = ["alertmanager"]  # the fixture, used by name
IDS = ["100%", "a/b?c=d#e f", "%zz", "q'\"<x>"]


def post(url: str, alerts: list[dict[str, Any]]) -> int:
    request = urllib.request.Request(
        f"{url}/api/v2/alerts",
        data=json.dumps(alerts).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_alertmanager_refuses_a_raw_percent_in_a_generator_url(
    alertmanager: tuple[str, Hooks],
) -> None:
    """Why the id is encoded: one such alert fails the whole push."""
    url, _ = alertmanager
    alert = {"labels": {"alertname": "x", "ticket_id": "100%"}}
    assert post(url, [{**alert, "generatorURL": "https://help.example/t/100%"}]) == 422
    assert post(url, [{**alert, "generatorURL": "https://help.example/t/100%25"}]) == 200


def test_tickets_with_url_special_ids_are_all_pushed_with_working_links(
    alertmanager: tuple[str, Hooks],
) -> None:
    url, _ = alertmanager
    engine = Engine(parse_policy(POLICY), RecordingSink())
    t0 = float(int(time.time()))
    for ticket in [*IDS, "plain"]:  # each 9m59s into a 15m first response
        engine.ingest(created(ticket, t0 - 599, customer_tier="vip", priority="urgent"))
    pusher = AlertPusher([url], ticket_url="https://help.example/t/{ticket_id}", resend=60)
    try:
        push(engine, pusher, t0 + 1)  # 10m: every ticket warns, in one push
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(am_alerts(url)) < len(IDS) + 1:
            time.sleep(0.1)
        found = {a["labels"]["ticket_id"]: a for a in am_alerts(url)}
        assert set(found) == {*IDS, "plain"}
        assert pusher.errors == 0
        for ticket in IDS:
            link = found[ticket]["annotations"]["ticket_url"]
            assert link == "https://help.example/t/" + urllib.parse.quote(ticket, safe="")
            assert urllib.parse.unquote(urllib.parse.urlsplit(link).path[3:]) == ticket
            assert found[ticket]["generatorURL"] == link
        assert found["100%"]["annotations"]["ticket_url"] == "https://help.example/t/100%25"
    finally:
        pusher.close()
