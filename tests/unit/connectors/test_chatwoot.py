"""The Chatwoot connector on payloads in Chatwoot's real shapes (fixtures cite the source).

T0 = 2026-11-24 09:00:00 UTC (epoch 1795510800): the conversation (inbox 3, display
id 42) is created pending in a bot inbox; each fixture is one step of its life.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from streams.connectors.chatwoot import ticket_id, translate
from streams.connectors.common import ConnectorConfig, PayloadError

from .support import FIXTURES, checked, fixture

T = "chatwoot:inbox-3:42"
T0 = "2026-11-24T09:00:00+00:00"
CREATED = {
    "event_id": f"{T}:created",
    "type": "ticket.created",
    "ticket_id": T,
    "ts": T0,
    "team": "billing",
    "channel": "chat",
    "priority": "normal",
    "customer_id": "chatwoot:9",
}
# the conversation as later payloads show it: moved to technical, priority high
LATER = {**CREATED, "team": "technical"}
LATEST = {**LATER, "priority": "high"}

# The keys Chatwoot sends, mirrored from its source (the fixtures' "source" cites file and commit).
PUSH_DATA_KEYS = {  # Conversations::EventDataPresenter#push_data (group_* keys left out)
    "additional_attributes", "can_reply", "channel", "contact_inbox", "id", "inbox_id",
    "messages", "labels", "meta", "status", "custom_attributes", "snoozed_until",
    "unread_count", "first_reply_created_at", "priority", "waiting_since",
    "agent_last_seen_at", "contact_last_seen_at", "last_activity_at", "timestamp",
    "created_at", "updated_at",
}  # fmt: skip
META_KEYS = {"sender", "assignee", "assignee_type", "team", "hmac_verified"}
MESSAGE_KEYS = {  # Message#webhook_data
    "account", "additional_attributes", "content_attributes", "content_type", "content",
    "conversation", "created_at", "id", "inbox", "message_type", "private", "sender",
    "source_id",
}  # fmt: skip
SENDER_KEYS = {  # User / AgentBot / Contact #webhook_data
    "user": {"id", "name", "email", "type"},
    "agent_bot": {"id", "name", "type"},
    None: {"account", "additional_attributes", "avatar", "custom_attributes", "email", "id",
           "identifier", "name", "phone_number", "thumbnail"},
}  # fmt: skip
NAMES = sorted(path.stem for path in FIXTURES.glob("chatwoot_*.json"))


def run(name: str, config: ConnectorConfig | None = None) -> list[dict[str, Any]]:
    payload = fixture(name)["payload"]
    return checked(translate(payload) if config is None else translate(payload, config))


class Recorded(dict[str, Any]):
    """A payload that notes every key read from it which the payload does not carry."""

    def __init__(self, data: dict[str, Any], path: str, missing: list[str]) -> None:
        super().__init__(
            {key: _recorded(value, f"{path}.{key}", missing) for key, value in data.items()}
        )
        self.path, self.missing = path, missing

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self.missing.append(f"{self.path}.{key}")
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        if key not in self:
            self.missing.append(f"{self.path}.{key}")
        return super().__getitem__(key)


def _recorded(value: Any, path: str, missing: list[str]) -> Any:
    if isinstance(value, dict):
        return Recorded(value, path, missing)
    if isinstance(value, list):
        return [_recorded(item, f"{path}[]", missing) for item in value]
    return value


@pytest.mark.parametrize("name", NAMES)
def test_every_fixture_has_exactly_the_keys_chatwoot_source_sends(name: str) -> None:
    payload = dict(fixture(name)["payload"])
    kind = payload.pop("event")
    changed = payload.pop("changed_attributes", None)
    if kind.startswith("conversation_"):
        assert set(payload) == PUSH_DATA_KEYS
        conversation = payload
        assert (changed is not None) == (kind != "conversation_created")
    else:
        assert set(payload) == MESSAGE_KEYS
        assert changed is None
        sender = payload["sender"]
        if sender is not None:
            assert set(sender) == SENDER_KEYS[sender.get("type")]
        conversation = payload["conversation"]
        assert set(conversation) == PUSH_DATA_KEYS
    assert set(conversation["meta"]) == META_KEYS
    assert "account" not in conversation and "account_id" not in conversation
    assert "display_id" not in conversation


@pytest.mark.parametrize("name", NAMES)
def test_the_connector_reads_no_key_the_real_payload_lacks(name: str) -> None:
    missing: list[str] = []
    translate(Recorded(fixture(name)["payload"], "payload", missing))
    assert missing == []


def test_the_ticket_is_the_inbox_and_display_id_in_every_payload_kind() -> None:
    for name in NAMES:
        payload = fixture(name)["payload"]
        conversation = payload.get("conversation", payload)
        assert ticket_id(conversation) == T, name


def test_a_conversation_created_in_a_bot_inbox_is_created_and_paused_at_once() -> None:
    assert run("chatwoot_conversation_created") == [
        CREATED,
        {
            "event_id": f"{T}:status:pending:{T0}",
            "type": "ticket.status",
            "ticket_id": T,
            "ts": T0,
            "status": "pending",
        },
    ]


def test_a_conversation_created_open_is_only_created() -> None:
    payload = {**fixture("chatwoot_conversation_created")["payload"], "status": "open"}
    assert checked(translate(payload)) == [CREATED]


def test_the_bot_hand_off_resumes_the_clocks() -> None:
    # pending -> open at T0 + 240.75 s (the conversation's updated_at)
    ts = "2026-11-24T09:04:00.750000+00:00"
    assert run("chatwoot_status_open") == [
        CREATED,
        {
            "event_id": f"{T}:status:open:{ts}",
            "type": "ticket.status",
            "ticket_id": T,
            "ts": ts,
            "status": "open",
        },
    ]


def test_incoming_message_while_the_bot_holds_it_keeps_the_clocks_paused() -> None:
    ts = "2026-11-24T09:00:05.250000+00:00"  # its created_at
    assert run("chatwoot_message_incoming") == [
        CREATED,
        {"event_id": f"{T}:message:101", "type": "message.customer", "ticket_id": T, "ts": ts},
        {
            "event_id": f"{T}:status:pending:{ts}",
            "type": "ticket.status",
            "ticket_id": T,
            "ts": ts,
            "status": "pending",
        },
    ]


def test_incoming_message_to_an_open_conversation_is_only_a_customer_message() -> None:
    payload = fixture("chatwoot_message_incoming")["payload"]
    payload["conversation"]["status"] = "open"
    assert checked(translate(payload))[1:] == [
        {
            "event_id": f"{T}:message:101",
            "type": "message.customer",
            "ticket_id": T,
            "ts": "2026-11-24T09:00:05.250000+00:00",
        },
    ]


def test_a_bots_reply_is_no_ones_response() -> None:
    assert run("chatwoot_message_bot") == []


def test_outgoing_message_by_a_user_is_a_public_agent_message() -> None:
    assert run("chatwoot_message_outgoing") == [
        LATER,
        {
            "event_id": f"{T}:message:103",
            "type": "message.agent",
            "ticket_id": T,
            "ts": "2026-11-24T09:05:30.125000+00:00",
            "agent_id": "chatwoot:3",
        },
    ]


def test_private_message_is_an_internal_note() -> None:
    assert run("chatwoot_message_private")[1:] == [
        {
            "event_id": f"{T}:message:104",
            "type": "message.agent",
            "ticket_id": T,
            "ts": "2026-11-24T09:06:00+00:00",
            "agent_id": "chatwoot:3",
            "public": False,
        },
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # open -> pending at T0 + 480 s
        ("chatwoot_status_pending", [("pending", "ticket.status", "pending", "09:08:00")]),
        ("chatwoot_status_snoozed", [("snoozed", "ticket.status", "on_hold", "09:10:00")]),
        ("chatwoot_status_resolved", [("resolved", "ticket.resolved", None, "10:00:00")]),
        ("chatwoot_status_reopened", [("reopened", "ticket.reopened", None, "11:00:00")]),
    ],
)
def test_status_changes_map_onto_pauses_resolution_and_reopen(
    name: str, expected: list[tuple[str, str, str | None, str]]
) -> None:
    events = run(name)
    assert events[0] == LATEST
    wanted = []
    for label, type_, status, clock in expected:
        ts = f"2026-11-24T{clock}+00:00"
        one = {"event_id": f"{T}:status:{label}:{ts}", "type": type_, "ticket_id": T, "ts": ts}
        if status:
            one["status"] = status
        wanted.append(one)
    assert events[1:] == wanted


def test_a_resolved_conversation_a_bot_takes_back_is_reopened_then_paused() -> None:
    payload = fixture("chatwoot_status_reopened")["payload"]
    payload = {
        **payload,
        "status": "pending",
        "changed_attributes": [
            {"status": {"previous_value": "resolved", "current_value": "pending"}}
        ],
    }
    ts = "2026-11-24T11:00:00+00:00"
    assert [(e["type"], e.get("status")) for e in checked(translate(payload))[1:]] == [
        ("ticket.reopened", None),
        ("ticket.status", "pending"),
    ]
    assert {e["ts"] for e in translate(payload)[1:]} == {ts}


def test_team_change_is_a_transfer_to_the_team_name_and_assignee_change_an_assignment() -> None:
    ts = "2026-11-24T09:05:00.500000+00:00"  # T0 + 300.5 s
    assert run("chatwoot_conversation_updated_team") == [
        LATER,  # asserted from the payload as it is now
        {
            "event_id": f"{T}:team:5:{ts}",
            "type": "ticket.transferred",
            "ticket_id": T,
            "ts": ts,
            "from_team": "team-2",  # the payload names only the new team; the engine resolves it
            "to_team": "technical",
        },
        {
            "event_id": f"{T}:assignee:3:{ts}",
            "type": "ticket.assigned",
            "ticket_id": T,
            "ts": ts,
            "agent_id": "chatwoot:3",
        },
    ]


def test_team_ids_take_the_configured_names() -> None:
    config = ConnectorConfig(teams={"chatwoot:2": "billing", "chatwoot:5": "second-line"})
    transfer = run("chatwoot_conversation_updated_team", config)[1]
    assert (transfer["from_team"], transfer["to_team"]) == ("billing", "second-line")


def test_a_priority_change_is_a_ticket_update() -> None:
    ts = "2026-11-24T09:07:00+00:00"  # T0 + 420 s
    assert run("chatwoot_conversation_updated_priority") == [
        LATEST,
        {
            "event_id": f"{T}:priority:high:{ts}",
            "type": "ticket.updated",
            "ticket_id": T,
            "ts": ts,
            "priority": "high",
        },
    ]


def test_csat_answer_is_a_survey_response_at_the_time_the_customer_answered() -> None:
    # sent with the resolution at 10:00:00.5; answered 10:02:30 (the conversation's updated_at)
    assert run("chatwoot_csat")[1:] == [
        {
            "event_id": f"{T}:csat:110",
            "type": "survey.response",
            "ticket_id": T,
            "ts": "2026-11-24T10:02:30+00:00",
            "kind": "csat",
            "score": 4,
        },
    ]


def test_a_csat_survey_not_yet_answered_yields_nothing() -> None:
    payload = {**fixture("chatwoot_csat")["payload"], "content_attributes": {}}
    assert translate(payload) == []


def test_a_retried_delivery_yields_the_same_event_ids() -> None:
    for name in NAMES:
        body = json.dumps(fixture(name)["payload"])
        first, again = translate(json.loads(body)), translate(json.loads(body))
        assert [e["event_id"] for e in first] == [e["event_id"] for e in again], name


def test_other_kinds_yield_nothing() -> None:
    assert translate({"event": "contact_created", "id": 1}) == []
    assert translate({"event": "conversation_typing_on", "conversation": {}, "user": {}}) == []
    assert translate({"event": "webwidget_triggered"}) == []


def test_wrong_payloads_are_refused_with_one_line() -> None:
    with pytest.raises(PayloadError, match="no 'event'"):
        translate({"ticket": {"id": 1}})
    with pytest.raises(PayloadError, match="inbox_id"):
        translate({"event": "conversation_created", "id": 4, "created_at": 1795510800})
    with pytest.raises(PayloadError, match="'conversation' is missing"):
        translate({"event": "message_created", "id": 5})
    bad = {**fixture("chatwoot_status_open")["payload"], "status": "archived"}
    with pytest.raises(PayloadError, match="archived"):
        translate(bad)
