from __future__ import annotations

import pytest

from streams.connectors.common import PayloadError
from streams.connectors.zammad import translate

from .support import checked, fixture

T = "zammad:31"
CREATED = {
    "event_id": f"{T}:created",
    "type": "ticket.created",
    "ticket_id": T,
    "ts": "2020-11-13T14:34:35.282000+00:00",
    "team": "Users",
    "channel": "phone",
    "priority": "normal",
    "customer_id": "zammad:2",
}


def run(name: str) -> list[dict]:
    sample = fixture(name)
    return checked(translate(sample["payload"], sample["headers"]["X-Zammad-Trigger"]))


def test_created_trigger_yields_the_ticket_only() -> None:
    assert run("zammad_created") == [CREATED]


def test_customer_article_is_a_customer_message() -> None:
    assert run("zammad_article_customer") == [
        CREATED,
        {
            "event_id": f"{T}:article:106",
            "type": "message.customer",
            "ticket_id": T,
            "ts": "2020-11-13T15:00:00+00:00",
        },
    ]


def test_agent_article_is_an_agent_message_and_internal_one_a_note() -> None:
    assert run("zammad_article_agent")[1:] == [
        {
            "event_id": f"{T}:article:105",
            "type": "message.agent",
            "ticket_id": T,
            "ts": "2020-11-13T14:50:00+00:00",
            "agent_id": "zammad:3",
        },
    ]
    assert run("zammad_article_internal")[1:] == [
        {
            "event_id": f"{T}:article:107",
            "type": "message.agent",
            "ticket_id": T,
            "ts": "2020-11-13T14:52:00+00:00",
            "agent_id": "zammad:3",
            "public": False,
        },
    ]


def test_pending_state_pauses_and_closed_resolves() -> None:
    assert run("zammad_state_pending")[1:] == [
        {
            "event_id": f"{T}:state:pending:2020-11-13T15:10:00+00:00",
            "type": "ticket.status",
            "ticket_id": T,
            "ts": "2020-11-13T15:10:00+00:00",
            "status": "pending",
        },
    ]
    assert run("zammad_state_closed")[1:] == [
        {
            "event_id": f"{T}:closed:2020-11-13T16:00:00+00:00",
            "type": "ticket.resolved",
            "ticket_id": T,
            "ts": "2020-11-13T16:00:00+00:00",
        },
    ]


def test_open_after_a_close_is_a_reopen_once_per_close() -> None:
    assert run("zammad_state_reopened")[1:] == [
        {
            "event_id": f"{T}:reopened:2020-11-13T16:00:00+00:00",
            "type": "ticket.reopened",
            "ticket_id": T,
            "ts": "2020-11-14T09:00:00+00:00",
        },
        {
            "event_id": f"{T}:state:open:2020-11-14T09:00:00+00:00",
            "type": "ticket.status",
            "ticket_id": T,
            "ts": "2020-11-14T09:00:00+00:00",
            "status": "open",
        },
    ]


def test_group_trigger_is_a_transfer_to_the_new_group() -> None:
    events = run("zammad_group")
    assert events[0]["team"] == "2nd Level"
    assert events[1:] == [
        {
            "event_id": f"{T}:group:4:2020-11-13T15:20:00+00:00",
            "type": "ticket.transferred",
            "ticket_id": T,
            "ts": "2020-11-13T15:20:00+00:00",
            "from_team": "unknown",
            "to_team": "2nd Level",
        },
    ]


def test_a_trigger_without_a_kind_word_states_what_the_payload_shows() -> None:
    payload = fixture("zammad_article_agent")["payload"]
    types = [e["type"] for e in checked(translate(payload, "notify someone"))]
    assert types == ["ticket.created", "message.agent", "ticket.status"]


def test_a_payload_without_a_ticket_is_refused() -> None:
    with pytest.raises(PayloadError, match="no 'ticket'"):
        translate({"event": "message_created"}, "servicepulse article")
