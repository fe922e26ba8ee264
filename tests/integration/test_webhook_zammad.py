"""A Zammad ticket's whole life, in Zammad's real webhook shapes, through a real ``serve``.

The payloads are the unit fixtures' shapes (tests/unit/connectors/fixtures/zammad_*.json,
built from Zammad's source: TriggerWebhookJob and its RecordPayload classes), re-timed to
the last hours: ``serve`` runs the engine on the wall clock. Each is posted signed as
Zammad signs (``X-Hub-Signature: sha1=<hex HMAC-SHA1(token, body)>``), with the trigger's
name in ``X-Zammad-Trigger`` and a fresh job id in ``X-Zammad-Delivery``; then /metrics
must show the figures computed by hand below.

Timeline, minutes after T0 (T0 = now - 140 min, whole seconds); policy calendar 24x7:

====  =========================================================================  ===========
 t    Zammad                                                                     trigger
====  =========================================================================  ===========
   0  Nicole's email opens ticket 31 in group Users, unassigned, 2 normal        created
   5  Nicole writes again (article 105)                                          article
  20  Emma (user 3) replies publicly (106), 15 units booked, state open          article
  25  Emma's internal note (107), 5 units booked                                 article
  30  Emma becomes the owner                                                     owner
  40  group 2nd Level (id 4)                                                     group
  50  custom state "waiting for customer" (id 8, pending type)                   state
  80  closed                                                                     state
 100  Nicole's follow-up (108) reopens it: the article delivery comes first      article,
      (ticket updated at t100 + 0.18 s, as Zammad saves it after the article)    state
 110  priority 3 high                                                            priority
 120  Emma replies (109), 10 units booked                                        article
 130  closed again                                                               state
====  =========================================================================  ===========
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests import serve_process
from tests.processes import Processes
from tests.serve_process import Samples, ServeProcess

FIXTURES = Path(__file__).parents[1] / "unit" / "connectors" / "fixtures"
TOKEN = "zammad-lifecycle-token"
SECRET = "zammad-hmac-token"
MIN = 60.0
POLICY = """
policies:
  - name: high
    match: {priority: high}
    calendar: always
    targets: {first_response: 4h, next_reply: 15m, resolution: 6h}
  - name: default
    match: {}
    calendar: always
    targets: {first_response: 4h, next_reply: 8h, resolution: 8h}
"""
USERS = {"team": "Users", "channel": "email", "priority": "normal", "customer_tier": "standard"}
SECOND = {**USERS, "team": "2nd Level"}
SECOND_HIGH = {**SECOND, "priority": "high"}


def shape(name: str) -> dict[str, Any]:
    """A fixture's payload: Zammad's default webhook body for ticket 31."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())["payload"]
    return data


class Ticket31:
    """Zammad's records for ticket 31 as the webhook job serialises them, at times after T0."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.ticket = shape("zammad_created")["ticket"]
        self.users = {1: self.ticket["owner"], 2: self.ticket["customer"]}
        self.users[3] = shape("zammad_owner")["ticket"]["owner"]
        self.groups = {1: self.ticket["group"], 4: shape("zammad_group")["ticket"]["group"]}
        self.priorities = {
            2: self.ticket["priority"],
            3: shape("zammad_priority")["ticket"]["priority"],
        }
        self.article_shape = {
            "Customer": shape("zammad_article_customer")["article"],
            "Agent": shape("zammad_article_agent")["article"],
            "note": shape("zammad_article_internal")["article"],
        }
        self.articles: list[int] = [104]
        self.booked = 0
        self.set(0, created_at=self.at(0), last_contact_at=self.at(0))
        self.set(0, last_contact_customer_at=self.at(0))
        self.first = shape("zammad_created")["article"] | {
            "created_at": self.at(0),
            "updated_at": self.at(0),
        }

    def at(self, minutes: float) -> str:
        """Zammad's JSON time: ISO 8601, milliseconds, Z."""
        moment = datetime.fromtimestamp(self.t0 + minutes * MIN, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def set(self, minutes: float, **changes: Any) -> None:
        self.ticket.update(changes, updated_at=changes.get("updated_at", self.at(minutes)))

    def owner(self, minutes: float, user: int) -> None:
        self.set(minutes, owner_id=user, owner=self.users[user])
        self.set(minutes, updated_by_id=user, updated_by=self.users[user])

    def group(self, minutes: float, group: int) -> None:
        self.set(minutes, group_id=group, group=self.groups[group])

    def priority(self, minutes: float, priority: int) -> None:
        self.set(minutes, priority_id=priority, priority=self.priorities[priority])

    def state(self, minutes: float, name: str, state_id: int, **changes: Any) -> None:
        self.set(minutes, state=name, state_id=state_id, **changes)

    def article(
        self, article_id: int, minutes: float, sender: str, internal: bool = False, units: int = 0
    ) -> dict[str, Any]:
        """A new article; the ticket is saved 0.18 s after it (Zammad's after_create)."""
        record = copy.deepcopy(self.article_shape["note" if internal else sender])
        record.update(id=article_id, created_at=self.at(minutes), updated_at=self.at(minutes))
        record.update(accounted_time=units)
        self.articles.append(article_id)
        self.booked += units
        contact = "last_contact_customer_at" if sender == "Customer" else "last_contact_agent_at"
        changes = {"article_ids": list(self.articles), "article_count": len(self.articles)}
        if not internal:
            changes |= {contact: self.at(minutes), "last_contact_at": self.at(minutes)}
        if units:
            changes["time_unit"] = f"{float(self.booked)}"
        self.set(minutes, **changes, updated_at=self.at(minutes + 0.003))  # + 0.18 s
        return record

    def payload(self, article: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"ticket": copy.deepcopy(self.ticket), "article": article or {}}


@pytest.fixture
def serve(tmp_path: Path, processes: Processes) -> ServeProcess:
    """``servicepulse serve`` on a free port with a Zammad signing secret."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    return ServeProcess(
        processes, tmp_path / "data", token=TOKEN, policy=policy, secrets={"zammad": SECRET}
    ).start()


def post(
    serve: ServeProcess, body: bytes, trigger: str, delivery: str | None = None
) -> requests.Response:
    """Signed as Zammad signs, with the trigger's name and a job id."""
    signature = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Zammad User Agent",
        "X-Zammad-Trigger": trigger,
        "X-Zammad-Delivery": delivery or str(uuid.uuid4()),  # ActiveJob's job_id
        "X-Hub-Signature": f"sha1={signature}",
    }
    return serve.post("/v1/webhooks/zammad", body, **headers)


def deliver(serve: ServeProcess, payload: dict[str, Any], trigger: str) -> bytes:
    body = json.dumps(payload).encode()
    answer = post(serve, body, trigger)
    assert answer.status_code == 200, answer.text
    assert answer.json()["rejected"] == [], answer.text
    return body


def value(samples: Samples, name: str, **labels: str) -> float:
    """``tests.serve_process.value`` of ``servicepulse_<name>``."""
    return serve_process.value(samples, f"servicepulse_{name}", **labels)


def recent() -> Ticket31:
    """Ticket 31 starting 140 minutes ago, on a whole second."""
    return Ticket31(float(int(time.time()) - 140 * 60))


def test_a_zammad_ticket_lifecycle_shows_the_figures_computed_by_hand(serve: ServeProcess) -> None:
    z = recent()
    # t0: created (the creating article 104 is the contact itself)
    deliver(serve, z.payload(z.first), "servicepulse ticket created")
    # t5: Nicole writes again before any answer: no next-reply clock yet
    deliver(serve, z.payload(z.article(105, 5, "Customer")), "servicepulse article")
    # t20: Emma's public reply with 15 units, the state set to open with it
    z.state(20, "open", 2)
    reply = deliver(serve, z.payload(z.article(106, 20, "Agent", units=15)), "servicepulse article")
    # t25: internal note, 5 units
    deliver(serve, z.payload(z.article(107, 25, "Agent", internal=True, units=5)),
            "servicepulse article")  # fmt: skip
    # t30: Emma takes it
    z.owner(30, 3)
    deliver(serve, z.payload(), "servicepulse owner")
    # t40: hand-off to 2nd Level (Zammad sends no previous group)
    z.group(40, 4)
    deliver(serve, z.payload(), "servicepulse group")
    # t50: custom pending state: Zammad keeps a pending_time only for pending types
    z.state(50, "waiting for customer", 8, pending_time=z.at(24 * 60))
    deliver(serve, z.payload(), "servicepulse state")
    # t80: closed
    z.state(80, "closed", 4, pending_time=None, close_at=z.at(80), last_close_at=z.at(80))
    z.set(80, updated_at=z.at(80.00002))
    deliver(serve, z.payload(), "servicepulse state")
    # t100: the follow-up reopens it; the article trigger's delivery overtakes the state's
    follow_up = z.article(108, 100, "Customer")
    z.state(100, "open", 2, updated_at=z.at(100.003))
    deliver(serve, z.payload(follow_up), "servicepulse article")
    deliver(serve, z.payload(follow_up), "servicepulse state")
    # t110: priority 3 high: the policy "high" is matched again
    z.priority(110, 3)
    deliver(serve, z.payload(), "servicepulse priority")
    # t120: Emma's reply, 10 units
    deliver(serve, z.payload(z.article(109, 120, "Agent", units=10)), "servicepulse article")
    # t130: closed again
    z.state(130, "closed", 4, last_close_at=z.at(130))
    deliver(serve, z.payload(), "servicepulse state")

    m = serve.metrics()
    # Zammad retries a failed delivery (same body, its job id): nothing is counted twice
    again = post(serve, reply, "servicepulse article", delivery=str(uuid.uuid4()))
    assert again.status_code == 200 and again.json() == {"accepted": 2, "rejected": []}
    after = serve.metrics()
    assert value(after, "events_duplicate_total") == value(m, "events_duplicate_total") + 2
    assert value(after, "agent_work_seconds_total", team="Users", channel="email") == 1200

    assert value(m, "tickets_created_total", **USERS) == 1
    # 13 deliveries: the 12 after the first repeat the creation; t100's state one, article 108
    assert value(m, "events_duplicate_total") == 12 + 1
    # first response: t0 -> t20 = 20 min = 1200 s, met (target 4h = 14400 s)
    assert value(m, "first_response_seconds_sum", **USERS) == 1200
    assert value(m, "first_response_seconds_count", **USERS) == 1
    # agent work: (15 + 5) units x 60 s = 1200 s in Users; 10 x 60 s = 600 s in 2nd Level
    assert value(m, "agent_work_seconds_total", team="Users", channel="email") == 1200
    assert value(m, "agent_work_seconds_total", team="2nd Level", channel="email") == 600
    # one hand-off, counted from the ticket's team although Zammad never said "Users"
    assert value(m, "transfers_total", from_team="Users", to_team="2nd Level") == 1
    transfers = [v for (n, _), v in m.items() if n == "servicepulse_transfers_total"]
    assert sum(transfers) == 1
    # resolution 1: t0 -> t50 running (3000 s), t50 -> t80 paused by the custom pending state
    assert value(m, "resolution_seconds_sum", **SECOND) == 3000
    assert value(m, "tickets_resolved_total", **SECOND) == 1
    assert value(m, "tickets_reopened_total", **SECOND) == 1
    # resolution 2: 3000 s kept + (t130 - reopen at t100 + 0.18 s) = 3000 + 1800 - 0.18
    assert value(m, "resolution_seconds_sum", **SECOND_HIGH) == pytest.approx(4799.82)
    assert value(m, "tickets_resolved_total", **SECOND_HIGH) == 1
    # next reply: Nicole's follow-up at t100 (held until the reopen) -> Emma at t120 = 1200 s
    assert value(m, "next_reply_seconds_sum", **SECOND_HIGH) == 1200
    assert value(m, "next_reply_seconds_count", **SECOND_HIGH) == 1
    assert value(m, "first_contact_resolutions_total", **SECOND) == 0  # transferred
    # SLA: first response met (default); resolution met twice (8h, then 6h: 4799.82 < 21600);
    # next reply under "high" since t110: 600 s elapsed then, 900 s target, 1200 s > 900: breached
    outcomes = {
        (dict(labels)["policy"], dict(labels)["target"], dict(labels)["outcome"]): v
        for (n, labels), v in m.items()
        if n == "servicepulse_sla_outcomes_total" and v
    }
    assert outcomes == {
        ("default", "first_response", "met"): 1,
        ("default", "resolution", "met"): 1,
        ("high", "next_reply", "breached"): 1,
        ("high", "resolution", "met"): 1,
    }
    first = {**USERS, "policy": "default", "target": "first_response", "outcome": "met"}
    assert value(m, "sla_outcomes_total", **first) == 1
    breach = {**SECOND_HIGH, "policy": "high", "target": "next_reply", "outcome": "breached"}
    assert value(m, "sla_outcomes_total", **breach) == 1
    # the owner credited: the first response and both resolutions are Emma's (zammad:3)
    assert value(m, "agent_first_responses_total", team="Users", agent="zammad:3") == 1
    assert value(m, "agent_resolutions_total", team="2nd Level", agent="zammad:3") == 2
    assert value(m, "agent_handle_seconds_total", team="Users", agent="zammad:3") == 1200
    assert value(m, "agent_handle_seconds_total", team="2nd Level", agent="zammad:3") == 600
    # accepted, once each: 12 deliveries + the state one at t100 repeat the ticket's creation
    processed = {
        dict(labels)["type"]: v
        for (n, labels), v in m.items()
        if n == "servicepulse_events_processed_total" and v
    }
    assert processed == {
        "ticket.created": 1,
        "message.customer": 2,  # 105, 108 (104 opened the ticket)
        "message.agent": 3,  # 106, 107, 109
        "ticket.assigned": 2,  # the owner change, and the owner kept at the hand-off
        "ticket.transferred": 1,
        "ticket.status": 2,  # pending at t50, open at t100
        "ticket.resolved": 2,
        "ticket.reopened": 1,
        "ticket.updated": 1,
    }
    rejected = [v for (n, _), v in m.items() if n == "servicepulse_events_rejected_total" and v]
    assert rejected == []


def test_a_body_that_is_no_zammad_webhook_is_a_one_line_400_and_nothing_is_counted(
    serve: ServeProcess,
) -> None:
    answer = post(serve, b'{"event": "message_created", "id": 7}', "servicepulse article")
    assert answer.status_code == 400
    assert answer.text == "zammad: not a Zammad webhook: no 'ticket' object\n"
    no_offset = shape("zammad_created")
    no_offset["ticket"]["created_at"] = "2026-11-24T09:00:00"
    answer = post(serve, json.dumps(no_offset).encode(), "servicepulse ticket created")
    assert answer.status_code == 400 and answer.text.count("\n") == 1
    assert "has no offset" in answer.text
    body = json.dumps(shape("zammad_created")).encode()
    forged = serve.post("/v1/webhooks/zammad", body, **{"X-Hub-Signature": "sha1=" + "0" * 40})
    assert forged.status_code == 401 and forged.text.count("\n") == 1
    processed = [v for (n, _), v in serve.metrics().items() if "events_processed" in n]
    assert sum(processed) == 0


def test_an_unknown_custom_state_is_accepted_with_its_article(serve: ServeProcess) -> None:
    z = recent()
    deliver(serve, z.payload(z.first), "servicepulse ticket created")
    z.state(10, "escalated to vendor", 9)  # no pending time, no close: its type is unknown
    answer = post(
        serve,
        json.dumps(z.payload(z.article(105, 10, "Agent", units=3))).encode(),
        "servicepulse state",
    )
    assert answer.status_code == 200
    assert answer.json() == {"accepted": 2, "rejected": []}  # created (a repeat) and the reply
    m = serve.metrics()
    # the reply is the first response: t0 -> t10 = 600 s; 3 units x 60 s = 180 s of work
    assert value(m, "first_response_seconds_sum", **USERS) == 600
    assert value(m, "agent_work_seconds_total", team="Users", channel="email") == 180
