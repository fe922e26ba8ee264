"""One Zendesk ticket's whole life, in Zendesk's webhook shapes, through a real ``serve``.

Every request is signed as Zendesk signs it (base64 HMAC-SHA256 of the
``X-Zendesk-Webhook-Signature-Timestamp`` + body) with a current timestamp.
The payloads are the documented ticket-event shape of
tests/unit/connectors/fixtures/zendesk_created.json (its ``detail``, top level and
``event.meta``) with this ticket's values. The customer's comment that reopens
the solved ticket is posted *before* the status change SOLVED -> OPEN, as
Zendesk may deliver it. /metrics is then compared with figures computed by hand.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from streams.ingest_http.auth import zendesk_signature
from tests.processes import Processes
from tests.serve_process import Samples, ServeProcess, value

FIXTURE = Path(__file__).parents[1] / "unit" / "connectors" / "fixtures" / "zendesk_created.json"
TOKEN = "zendesk-webhook-token"
SECRET = "zd-signing-secret"
POLICY = """
policies:
  - name: default
    match: {}
    calendar: always
    targets: {first_response: 8h, next_reply: 20m, resolution: 1d}
"""
TICKET = "7001"
CUSTOMER = "8447388090494"
AGENT = "8447388090111"
SUPPORT, BILLING = "360001", "360002"  # groups, named by --team-map
# the whole life lies in the past: 4 h 5 min ago .. 5 min ago
T0 = float(int(time.time()) - 4 * 3600 - 300)


def iso(offset: float) -> str:
    return datetime.fromtimestamp(T0 + offset, UTC).isoformat().replace("+00:00", "Z")


def ticket_event(
    kind: str, offset: float, number: int, event: dict[str, Any], **detail: Any
) -> dict[str, Any]:
    """A ``zen:event-type:ticket.<kind>`` payload of the documented shape."""
    payload = copy.deepcopy(json.loads(FIXTURE.read_text())["payload"])
    payload["detail"].update(
        {
            "id": TICKET,
            "actor_id": AGENT,
            "submitter_id": AGENT,  # an agent opened the ticket for the customer
            "requester_id": CUSTOMER,
            "created_at": iso(0),
            "updated_at": iso(offset),
            "description": "Caller says the invoice is wrong",
            "group_id": SUPPORT,
            "priority": "NORMAL",
            "type": "QUESTION",
            "status": "OPEN",
            "via": {"channel": "web"},
            **detail,
        }
    )
    payload["event"] = {"meta": {"sequence": {"id": f"seq-{number}", "position": 1}}, **event}
    payload["id"] = f"0e3b2c5a-7001-4c3e-9a0a-{number:012d}"
    payload["subject"] = f"zen:ticket:{TICKET}"
    payload["time"] = iso(offset)
    payload["type"] = f"zen:event-type:ticket.{kind}"
    return payload


def comment(
    offset: float, number: int, body: str, staff: bool, public: bool = True, **detail: Any
) -> dict[str, Any]:
    author = {
        "id": AGENT if staff else CUSTOMER,
        "is_staff": staff,
        "name": "Sam" if staff else "Jo",
    }
    data = {"id": str(9000 + number), "body": body, "is_public": public, "author": author}
    return ticket_event("comment_added", offset, number, {"comment": data}, **detail)


def status(
    offset: float, number: int, previous: str, current: str, **detail: Any
) -> dict[str, Any]:
    change = {"previous": previous, "current": current}
    return ticket_event("status_changed", offset, number, change, status=current, **detail)


AFTER: dict[str, Any] = {
    "group_id": BILLING,
    "priority": "HIGH",
}  # the ticket after the hand-off and the raise
LIFE = [
    ("created", ticket_event("created", 0, 1, {}, status="NEW")),
    ("description", comment(0.4, 2, "Caller says the invoice is wrong", staff=True)),
    ("customer writes", comment(600, 3, "Also, the amount is doubled", staff=False)),
    (
        "assigned",
        ticket_event(
            "agent_assignment_changed",
            1800,
            4,
            {"previous": None, "current": AGENT},
            assignee_id=AGENT,
        ),
    ),
    ("first reply", comment(2400, 5, "We are correcting it", staff=True, assignee_id=AGENT)),
    (
        "priority raised",
        ticket_event(
            "priority_changed", 2500, 6, {"previous": "NORMAL", "current": "HIGH"}, priority="HIGH"
        ),
    ),
    ("private note", comment(2700, 7, "Billing must fix the run", staff=True, public=False)),
    (
        "hand-off",
        ticket_event(
            "group_assignment_changed",
            3000,
            8,
            {"previous": SUPPORT, "current": BILLING},
            **AFTER,
        ),
    ),
    ("pending", status(3600, 9, "OPEN", "PENDING", **AFTER)),
    ("solved", status(7200, 10, "PENDING", "SOLVED", **AFTER)),
    # the comment that reopens the ticket overtakes the status change it causes
    ("customer reopens", comment(9000, 11, "Still doubled!", staff=False, **AFTER)),
    ("reopened", status(9000, 12, "SOLVED", "OPEN", **AFTER)),
    ("second reply", comment(10800, 13, "Fixed for good now", staff=True, **AFTER)),
    ("solved again", status(12600, 14, "OPEN", "SOLVED", **AFTER)),
]
CSAT = {  # the satisfaction trigger's body (docs/ingestion.md)
    "ticket": {
        "id": TICKET,
        "created_at": iso(0),
        "updated_at": iso(14400),
        "group_id": BILLING,
        "group": "Billing",
        "priority": "high",
        "via": "Web Form",
        "requester_id": CUSTOMER,
    },
    "satisfaction": "Good",
}


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    tmp = tmp_path_factory.mktemp("zendesk")
    policy = tmp / "policy.yaml"
    policy.write_text(POLICY)
    processes = Processes(tmp / "logs")
    try:
        yield ServeProcess(
            processes, tmp / "data",
            "--team-map", f"zendesk:{SUPPORT}=support", "--team-map", f"zendesk:{BILLING}=billing",
            token=TOKEN, policy=policy, secrets={"zendesk": SECRET},
        ).start()  # fmt: skip
    finally:
        processes.stop()


def post(serve: ServeProcess, payload: Any, body: bytes | None = None) -> requests.Response:
    data = body if body is not None else json.dumps(payload).encode()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Id": "01F1KRFQ6BG29CNWFR60NK5FNY",
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Signature": zendesk_signature(SECRET.encode(), stamp, data),
    }
    return serve.post("/v1/webhooks/zendesk", data, **headers)


@pytest.fixture(scope="module")
def life(serve: ServeProcess) -> Samples:
    for step, payload in LIFE:
        answer = post(serve, payload)
        assert answer.status_code == 200, (step, answer.text)
        if step == "first reply":  # Zendesk retries a delivery it did not see answered
            again = post(serve, payload)
            assert again.status_code == 200, again.text
    answer = post(serve, CSAT)
    assert answer.status_code == 200, answer.text
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = serve.metrics()
        if value(found, "servicepulse_survey_responses_total") == 1:
            break
        time.sleep(0.2)
    return found


BEFORE_HANDOFF = {
    "team": "support",
    "channel": "web",
    "priority": "normal",
    "customer_tier": "standard",
}
AFTER_HANDOFF = {
    "team": "billing",
    "channel": "web",
    "priority": "high",
    "customer_tier": "standard",
}


def test_first_response_starts_at_creation_and_skips_the_agents_description(life: dict) -> None:
    # created t=0 by the agent (description t=0.4: not a reply); first public reply t=2400;
    # the customer's comment at t=600 starts no next-reply clock (nothing answered yet)
    assert value(life, "servicepulse_first_response_seconds_count", **BEFORE_HANDOFF) == 1
    assert value(life, "servicepulse_first_response_seconds_sum", **BEFORE_HANDOFF) == 2400


def test_the_retried_delivery_is_counted_once(life: dict) -> None:
    # the first reply was delivered twice: one public reply counted, one duplicate dropped
    assert value(life, "servicepulse_first_response_seconds_count") == 1
    assert value(life, "servicepulse_events_duplicate_total") >= 1


def test_next_reply_of_the_reopen_cycle_runs_from_the_comment_that_came_first(life: dict) -> None:
    # customer comment t=9000 (delivered before SOLVED->OPEN at t=9000), reply t=10800:
    # 10800 - 9000 = 1800 s, the only next-reply (no customer message after t=2400 before)
    assert value(life, "servicepulse_next_reply_seconds_count") == 1
    assert value(life, "servicepulse_next_reply_seconds_sum", **AFTER_HANDOFF) == 1800


def test_resolution_counts_both_cycles_without_the_pending_and_solved_gaps(life: dict) -> None:
    # cycle 1: created 0 -> solved 7200, pending 3600..7200 paused: 3600 s
    # cycle 2: kept 3600 + (reopened 9000 -> solved 12600) 3600 = 7200 s
    assert value(life, "servicepulse_resolution_seconds_count", **AFTER_HANDOFF) == 2
    assert value(life, "servicepulse_resolution_seconds_sum", **AFTER_HANDOFF) == 3600 + 7200
    assert value(life, "servicepulse_tickets_resolved_total", **AFTER_HANDOFF) == 2
    assert value(life, "servicepulse_tickets_reopened_total", **AFTER_HANDOFF) == 1
    # one public reply, but transferred: no first-contact resolution
    assert value(life, "servicepulse_first_contact_resolutions_total") == 0


def test_the_ticket_is_created_once_and_handed_off_once(life: dict) -> None:
    assert value(life, "servicepulse_tickets_created_total", **BEFORE_HANDOFF) == 1
    assert value(life, "servicepulse_tickets_created_total") == 1
    transfers = {"from_team": "support", "to_team": "billing"}
    assert value(life, "servicepulse_transfers_total", **transfers) == 1
    assert value(life, "servicepulse_transfers_total") == 1


def test_the_satisfaction_answer_is_one_csat_5_under_the_new_team(life: dict) -> None:
    survey = {"team": "billing", "channel": "web", "kind": "csat", "score": "5"}
    assert value(life, "servicepulse_survey_responses_total", **survey) == 1


def test_sla_outcomes_are_each_counted_once(life: dict) -> None:
    # first response 2400 s < 8 h: met (before the hand-off, normal priority)
    # next reply 1800 s > 20 min = 1200 s: breached (after: billing, high)
    # resolution 3600 s and 7200 s < 1 d: met twice (two cycles)
    def outcome(target: str, result: str, **labels: str) -> float:
        series = {"policy": "default", "target": target, "outcome": result, **labels}
        return value(life, "servicepulse_sla_outcomes_total", **series)

    assert outcome("first_response", "met", **BEFORE_HANDOFF) == 1
    assert outcome("next_reply", "breached", **AFTER_HANDOFF) == 1
    assert outcome("resolution", "met", **AFTER_HANDOFF) == 2
    assert outcome("first_response", "breached") == 0
    assert outcome("next_reply", "met") == 0
    assert outcome("resolution", "breached") == 0


def test_nothing_of_the_life_was_rejected(life: dict) -> None:
    assert value(life, "servicepulse_events_rejected_total") == 0


def test_a_bad_body_is_a_one_line_400(serve: ServeProcess) -> None:
    answer = post(serve, None, body=b'{"type": "zen:event-type:ticket.created", "detail": 5}')
    assert answer.status_code == 400
    assert answer.text.count("\n") == 1 and answer.text.startswith("zendesk: ")
    broken = post(serve, None, body=b"{not json")
    assert broken.status_code == 400 and broken.text.count("\n") == 1
