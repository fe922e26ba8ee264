"""A whole Chatwoot conversation, in Chatwoot's real webhook shapes, through ``serve``.

The payloads are the unit fixtures (built from Chatwoot's source, each citing
file and commit) with their times, ids and status changed: a conversation
created pending in a bot inbox, the bot's hand-off, assignment and a team
change, replies, a private note, a priority change, a snooze, resolution, a
CSAT answer, a reopen by the customer's message and a second resolution. Every
request is signed as Chatwoot 4.x signs (``X-Chatwoot-Signature``). /metrics
must then show the figures computed by hand below.

``--grace`` is a day: the engine's clock stays behind these events (1-3 h old),
so every outcome follows from the events themselves, not from when a tick ran.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from streams.ingest_http.auth import chatwoot_signature
from tests.processes import Processes
from tests.serve_process import Samples, ServeProcess, value

FIXTURES = Path(__file__).parents[1] / "unit" / "connectors" / "fixtures"
TOKEN = "chatwoot-webhook-token"
SECRET = "chatwoot-webhook-secret"
POLICY = """
policies:
  - name: default
    match: {}
    calendar: always
    targets: {first_response: 2m, next_reply: 5m, resolution: 1h}
"""
B = float(int(time.time()) - 3 * 3600)  # the conversation starts three hours ago
T = "chatwoot:inbox-3:42"


def template(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())["payload"]


def iso(offset: float) -> str:
    """Chatwoot's JSON time (ActiveSupport: ISO 8601, milliseconds, Z)."""
    moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(B + offset))
    return f"{moment}.{round((B + offset) % 1 * 1000):03d}Z"


TEAMS = {"billing": {"id": 2, "name": "billing"}, "technical": {"id": 5, "name": "technical"}}
AGENT = template("chatwoot_conversation_updated_team")["meta"]["assignee"]


def conversation(status: str, at: float, team: str = "technical", **fields: Any) -> dict[str, Any]:
    """Conversations::EventDataPresenter#push_data at ``B + at`` (the fixture's keys)."""
    data = template("chatwoot_status_open")
    for key in ("event", "changed_attributes"):
        data.pop(key)
    data.update(status=status, created_at=int(B), updated_at=B + at, messages=[])
    data["last_activity_at"] = data["timestamp"] = int(B + at)
    data["meta"]["team"] = TEAMS[team]
    data["meta"]["assignee"] = AGENT if team == "technical" else None
    data["meta"]["assignee_type"] = "User" if team == "technical" else None
    data["priority"] = "high" if at >= 310 else None
    data.update(fields)
    return data


def status(at: float, previous: str, current: str, team: str = "technical") -> dict[str, Any]:
    change = {"status": {"previous_value": previous, "current_value": current}}
    return {
        **conversation(current, at, team),
        "event": "conversation_status_changed",
        "changed_attributes": [change],
    }


def message(
    message_id: int, at: float, sender: str, state: str = "open", team: str = "technical"
) -> dict[str, Any]:
    """Message#webhook_data of message_created, from the fixture of that sender."""
    name = {
        "customer": "chatwoot_message_incoming",
        "bot": "chatwoot_message_bot",
        "agent": "chatwoot_message_outgoing",
        "note": "chatwoot_message_private",
    }[sender]
    data = template(name)
    data.update(id=message_id, created_at=iso(at), conversation=conversation(state, at, team))
    return data


def updated(at: float, changes: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    listed = [{k: {"previous_value": p, "current_value": c}} for k, (p, c) in changes.items()]
    return {
        **conversation("open", at),
        "event": "conversation_updated",
        "changed_attributes": listed,
    }


def csat(at_sent: float, at_answered: float, rating: int) -> dict[str, Any]:
    data = template("chatwoot_csat")
    data.update(created_at=iso(at_sent), conversation=conversation("resolved", at_answered))
    data["content_attributes"]["submitted_values"]["csat_survey_response"]["rating"] = rating
    return data


def lifecycle() -> list[tuple[str, dict[str, Any]]]:
    """(what, payload), in the order posted; ``at`` = seconds after B."""
    created = {**conversation("pending", 0, "billing"), "event": "conversation_created"}
    return [
        ("created pending (bot inbox)", created),
        ("customer writes to the bot", message(101, 5, "customer", "pending", "billing")),
        ("the bot answers", message(102, 6, "bot", "pending", "billing")),
        ("bot hand-off", status(240, "pending", "open", "billing")),
        (
            "assigned, moved to technical",
            updated(300, {"team_id": (2, 5), "assignee_id": (None, 3)}),
        ),
        ("priority raised", updated(310, {"priority": (None, "high")})),
        ("first agent reply", message(103, 330, "agent")),
        ("private note", message(104, 360, "note")),
        ("customer writes", message(105, 400, "customer")),
        ("agent replies", message(106, 520, "agent")),
        ("customer writes again", message(107, 600, "customer")),
        ("snoozed", status(700, "open", "snoozed")),
        ("customer's message opens it", status(1300, "snoozed", "open")),
        ("that message", message(108, 1300, "customer")),
        ("late agent reply", message(109, 1560, "agent")),
        ("resolved", status(2000, "open", "resolved")),
        ("CSAT answered", csat(2000.5, 2150, 4)),
        # reopened by the customer's message: the message may come before the status change
        ("customer writes after resolution", message(111, 3000, "customer")),
        ("reopened", status(3000, "resolved", "open")),
        ("agent replies after the reopen", message(112, 3100, "agent")),
        ("resolved again", status(3500, "open", "resolved")),
    ]


@pytest.fixture
def serve(tmp_path: Path, processes: Processes) -> ServeProcess:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    return ServeProcess(
        processes, tmp_path / "data", token=TOKEN, policy=policy, grace=86400,
        secrets={"chatwoot": SECRET},
    ).start()  # fmt: skip


def post(
    serve: ServeProcess, body: bytes, stamp: int | None = None, secret: str = SECRET
) -> requests.Response:
    """Signed as Chatwoot signs, the token in the URL (Chatwoot cannot set headers)."""
    stamp = int(time.time()) if stamp is None else stamp
    headers = {
        "Content-Type": "application/json",
        "X-Chatwoot-Timestamp": str(stamp),
        "X-Chatwoot-Signature": chatwoot_signature(secret.encode(), str(stamp), body),
        "X-Chatwoot-Delivery": "5f0c2c1e-delivery",
    }
    return serve.post(f"/v1/webhooks/chatwoot?token={TOKEN}", body, Authorization=None, **headers)


L = {"team": "technical", "channel": "chat", "priority": "high", "customer_tier": "standard"}


def test_a_whole_chatwoot_conversation_gives_the_hand_computed_figures(
    serve: ServeProcess,
) -> None:
    for what, payload in lifecycle():
        answer = post(serve, json.dumps(payload).encode())
        assert answer.status_code == 200, (what, answer.text)
        assert answer.json()["rejected"] == [], what
    metrics = wait_for_figures(serve)

    assert value(metrics, "servicepulse_events_rejected_total") == 0
    created = {"team": "billing", "channel": "chat", "priority": "normal"}
    assert value(metrics, "servicepulse_tickets_created_total", **created) == 1
    assert value(metrics, "servicepulse_tickets_created_total") == 1  # one conversation
    # First response: created 0 pending (bot), the customer's message at 5 changes nothing
    # (re-paused at once), hand-off at 240, first agent reply at 330: 330 - 240 = 90 s
    # (the bot's 240 s are not counted; the wall time would be 330 s). 90 < 120: met.
    assert value(metrics, "servicepulse_first_response_seconds_sum", **L) == 90
    assert value(metrics, "servicepulse_first_response_seconds_count", **L) == 1
    # Next replies: 400 -> 520 = 120 s (met); 600 -> snoozed 700 (100 s), open 1300 ->
    # reply 1560 (260 s) = 360 s > 300 (breached); after the reopen 3000 -> 3100 = 100 s (met).
    assert value(metrics, "servicepulse_next_reply_seconds_sum", **L) == 120 + 360 + 100
    assert value(metrics, "servicepulse_next_reply_seconds_count", **L) == 3
    # Resolution: running 240-700 (460 s) and 1300-2000 (700 s) = 1160 s; after the reopen
    # 1160 + (3500 - 3000) = 1660 s. Both < 3600: met.
    assert value(metrics, "servicepulse_resolution_seconds_sum", **L) == 1160 + 1660
    assert value(metrics, "servicepulse_resolution_seconds_count", **L) == 2
    assert value(metrics, "servicepulse_tickets_resolved_total", **L) == 2
    assert value(metrics, "servicepulse_tickets_reopened_total", **L) == 1
    assert value(metrics, "servicepulse_first_contact_resolutions_total") == 0  # 3 replies

    outcomes = "servicepulse_sla_outcomes_total"
    met = {**L, "policy": "default", "outcome": "met"}
    breached = {**met, "outcome": "breached"}
    assert value(metrics, outcomes, target="first_response", **met) == 1
    assert value(metrics, outcomes, target="next_reply", **met) == 2
    assert value(metrics, outcomes, target="next_reply", **breached) == 1
    assert value(metrics, outcomes, target="resolution", **met) == 2
    assert value(metrics, outcomes, outcome="breached") == 1  # nothing else breached

    # the hand-off from billing (the payload says "team-2"; the engine resolves it)
    transfers = "servicepulse_transfers_total"
    assert value(metrics, transfers, from_team="billing", to_team="technical") == 1
    assert value(metrics, transfers) == 1
    survey = {"team": "technical", "channel": "chat", "kind": "csat", "score": "4"}
    assert value(metrics, "servicepulse_survey_responses_total", **survey) == 1
    assert value(metrics, "servicepulse_contacts_abandoned_total") == 0

    # Chatwoot retries with the same body (a new signature time): counted once
    for what, payload in lifecycle()[6:7] + lifecycle()[16:17]:
        answer = post(serve, json.dumps(payload).encode(), stamp=int(time.time()) + 1)
        assert answer.status_code == 200, what
    again = wait_for_figures(serve)
    for name in ("first_response_seconds_count", "survey_responses_total", "sla_outcomes_total"):
        assert value(again, f"servicepulse_{name}") == value(metrics, f"servicepulse_{name}")
    assert value(again, "servicepulse_events_duplicate_total") > value(
        metrics, "servicepulse_events_duplicate_total"
    )


def wait_for_figures(serve: ServeProcess) -> Samples:
    """/metrics once two scrapes agree (the engine applies a request before answering it)."""
    previous = serve.metrics()
    for _ in range(20):
        time.sleep(0.3)
        current = serve.metrics()
        keep = {k: v for k, v in current.items() if "age_seconds" not in k[0]}
        if keep == {k: v for k, v in previous.items() if "age_seconds" not in k[0]}:
            return current
        previous = current
    return previous


def test_bad_chatwoot_requests_get_one_line_and_nothing_is_accepted(serve: ServeProcess) -> None:
    def refused(answer: requests.Response, status: int) -> str:
        assert answer.status_code == status, answer.text
        assert answer.text.count("\n") == 1 and answer.text.strip()
        return answer.text

    body = json.dumps(lifecycle()[0][1]).encode()
    assert "not JSON" in refused(post(serve, b'{"event": "conversation_created",'), 400)
    no_inbox = {k: v for k, v in lifecycle()[0][1].items() if k != "inbox_id"}
    assert "inbox_id" in refused(post(serve, json.dumps(no_inbox).encode()), 400)
    assert "does not match" in refused(post(serve, body, secret="other"), 401)
    # a well-signed delivery replayed ten minutes later
    assert "old" in refused(post(serve, body, stamp=int(time.time()) - 600), 401)
    unsigned = serve.post(f"/v1/webhooks/chatwoot?token={TOKEN}", body, Authorization=None)
    assert "missing X-Chatwoot-Signature" in refused(unsigned, 401)
    assert value(serve.metrics(), "servicepulse_events_processed_total") == 0
    # an event kind ServicePulse does not count: 200, no events
    other = post(serve, json.dumps({"event": "contact_created", "id": 9}).encode())
    assert other.status_code == 200 and other.json() == {"accepted": 0, "rejected": []}
