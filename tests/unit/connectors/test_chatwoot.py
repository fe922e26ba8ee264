from __future__ import annotations

import pytest

from streams.connectors.chatwoot import translate
from streams.connectors.common import ConnectorConfig, PayloadError

from .support import checked, fixture

T = "chatwoot:1:42"
CREATED = {
    "event_id": f"{T}:created",
    "type": "ticket.created",
    "ticket_id": T,
    "ts": "2020-03-03T13:05:57+00:00",
    "team": "billing",
    "channel": "chat",
    "priority": "normal",
    "customer_id": "chatwoot:9",
}


def run(name: str, config: ConnectorConfig | None = None) -> list[dict]:
    payload = fixture(name)["payload"]
    return checked(translate(payload) if config is None else translate(payload, config))


def test_conversation_created_is_a_chat_ticket_of_its_team() -> None:
    assert run("chatwoot_conversation_created") == [CREATED]


def test_incoming_message_is_a_customer_message_with_chatwoots_utc_time() -> None:
    assert run("chatwoot_message_incoming") == [
        CREATED,
        {
            "event_id": f"{T}:message:101",
            "type": "message.customer",
            "ticket_id": T,
            "ts": "2020-03-03T13:05:57+00:00",
        },
    ]


def test_outgoing_message_by_a_user_is_a_public_agent_message() -> None:
    assert run("chatwoot_message_outgoing")[1:] == [
        {
            "event_id": f"{T}:message:102",
            "type": "message.agent",
            "ticket_id": T,
            "ts": "2020-03-03T13:15:57+00:00",
            "agent_id": "chatwoot:3",
        },
    ]


def test_private_message_is_an_internal_note() -> None:
    assert run("chatwoot_message_private")[1:] == [
        {
            "event_id": f"{T}:message:103",
            "type": "message.agent",
            "ticket_id": T,
            "ts": "2020-03-03T13:16:30+00:00",
            "agent_id": "chatwoot:3",
            "public": False,
        },
    ]


@pytest.mark.parametrize(
    ("name", "type_", "status", "ts"),
    [
        ("chatwoot_status_pending", "ticket.status", "pending", "2020-03-03T13:10:00+00:00"),
        ("chatwoot_status_snoozed", "ticket.status", "on_hold", "2020-03-03T13:20:00+00:00"),
        ("chatwoot_status_open", "ticket.status", "open", "2020-03-03T13:30:00+00:00"),
        ("chatwoot_status_resolved", "ticket.resolved", None, "2020-03-03T14:00:00+00:00"),
        ("chatwoot_status_reopened", "ticket.reopened", None, "2020-03-03T15:00:00+00:00"),
    ],
)
def test_status_changes_map_onto_pauses_resolution_and_reopen(
    name: str, type_: str, status: str | None, ts: str
) -> None:
    events = run(name)
    assert events[0] == CREATED
    assert len(events) == 2
    expected = {"type": type_, "ticket_id": T, "ts": ts}
    if status:
        expected["status"] = status
    got = dict(events[1])
    assert got.pop("event_id").startswith(f"{T}:status:")
    assert got == expected


def test_team_change_is_a_transfer_and_assignee_change_an_assignment() -> None:
    events = run("chatwoot_conversation_updated_team")
    created = {**CREATED, "team": "technical"}  # asserted from the payload as it is now
    assert events == [
        created,
        {
            "event_id": f"{T}:team:5:2020-03-03T13:43:20+00:00",
            "type": "ticket.transferred",
            "ticket_id": T,
            "ts": "2020-03-03T13:43:20+00:00",
            "from_team": "team-2",
            "to_team": "technical",
        },
        {
            "event_id": f"{T}:assignee:3:2020-03-03T13:43:20+00:00",
            "type": "ticket.assigned",
            "ticket_id": T,
            "ts": "2020-03-03T13:43:20+00:00",
            "agent_id": "chatwoot:3",
        },
    ]


def test_team_ids_take_the_configured_names() -> None:
    config = ConnectorConfig(teams={"chatwoot:2": "billing"})
    transfer = run("chatwoot_conversation_updated_team", config)[1]
    assert (transfer["from_team"], transfer["to_team"]) == ("billing", "technical")


def test_csat_answer_is_a_survey_response_with_the_rating() -> None:
    assert run("chatwoot_csat")[1:] == [
        {
            "event_id": f"{T}:csat:110",
            "type": "survey.response",
            "ticket_id": T,
            "ts": "2020-03-03T14:12:30+00:00",
            "kind": "csat",
            "score": 4,
        },
    ]


def test_a_retried_delivery_yields_the_same_event_ids() -> None:
    first = run("chatwoot_status_resolved")
    again = run("chatwoot_status_resolved")
    assert [e["event_id"] for e in first] == [e["event_id"] for e in again]


def test_other_kinds_yield_nothing_and_wrong_payloads_are_refused() -> None:
    assert translate({"event": "contact_created", "id": 1}) == []
    with pytest.raises(PayloadError, match="no 'event'"):
        translate({"ticket": {"id": 1}})
    with pytest.raises(PayloadError, match="account id"):
        translate({"event": "conversation_created", "id": 4, "created_at": 1583240757})
