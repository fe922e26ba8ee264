"""A real Alertmanager refusing one alert of a push loses that alert only.

Alertmanager validates a push as a whole and answers ``422`` for all of it when one
alert is invalid. The ticket ``refused`` here carries a generatorURL with a raw ``%``
(which Alertmanager cannot parse, test_ticket_alert_ids.py) as any alert it refuses
would: the pusher isolates it, drops and counts it, and every other ticket's alert,
in the same chunk and in later ones, reaches Alertmanager; nothing is retried forever.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

import streams.alerting.pusher as pusher_module
from streams.alerting.pusher import AlertPusher
from streams.core.engine import Engine
from streams.core.policy import parse_policy
from tests.integration.test_ticket_alerts import POLICY, Hooks, alertmanager, am_alerts, push
from tests.support import RecordingSink, created

__all__ = ["alertmanager"]  # the fixture, used by name
TICKETS = ["t1", "refused", "t3", "t4", "t5"]


def test_a_refused_alert_is_dropped_and_every_other_ticket_still_alerts(
    alertmanager: tuple[str, Hooks], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = alertmanager
    build = pusher_module.to_alert

    def to_alert(*args: Any) -> dict[str, Any]:
        alert = build(*args)
        if alert["labels"]["ticket_id"] == "refused":
            alert["generatorURL"] = "https://help.example/t/100%"
        return alert

    monkeypatch.setattr(pusher_module, "to_alert", to_alert)
    monkeypatch.setattr(pusher_module, "CHUNK", 2)  # chunks [t1 refused] [t3 t4] [t5]
    engine = Engine(parse_policy(POLICY), RecordingSink())
    t0 = float(int(time.time()))
    for ticket in TICKETS:  # each 9m59s into a 15m first response
        engine.ingest(created(ticket, t0 - 599, customer_tier="vip", priority="urgent"))
    pusher = AlertPusher([url], ticket_url="https://help.example/t/{ticket_id}", resend=60)
    try:
        push(engine, pusher, t0 + 1)  # 10m: every ticket warns, in one push
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (pusher.dropped < 1 or pusher._pending):
            time.sleep(0.1)
        found = sorted(a["labels"]["ticket_id"] for a in am_alerts(url))
        assert found == ["t1", "t3", "t4", "t5"]
        assert (pusher.sent, pusher.dropped, pusher.errors) == (4, 1, 0)
        time.sleep(1.0)  # a retry would come after 0.5 s: none comes
        assert pusher.dropped == 1 and not pusher._pending
    finally:
        pusher.close()
