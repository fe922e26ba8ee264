from __future__ import annotations

import pytest

from streams.connectors.common import ConnectorConfig, PayloadError
from streams.connectors.zendesk import translate

from .support import checked, fixture

T = "zendesk:5158"
CREATED = {
    "event_id": f"{T}:created",
    "type": "ticket.created",
    "ticket_id": T,
    "ts": "2025-01-08T10:12:07+00:00",
    "team": "group-8447320466430",
    "channel": "email",
    "priority": "high",
    "customer_id": "zendesk:8447388090494",
}


def run(name: str) -> list[dict]:
    return checked(translate(fixture(name)["payload"]))


def test_ticket_created_event() -> None:
    assert run("zendesk_created") == [CREATED]


def test_requester_comment_is_a_customer_message_with_the_event_id() -> None:
    assert run("zendesk_comment_requester") == [
        CREATED,
        {
            "event_id": f"{T}:0e3b2c5a-1111-4c3e-9a0a-000000000001",
            "type": "message.customer",
            "ticket_id": T,
            "ts": "2025-01-08T10:40:00.125000+00:00",
        },
    ]


def test_staff_comments_are_agent_messages_public_or_private() -> None:
    assert run("zendesk_comment_agent_public")[1:] == [
        {
            "event_id": f"{T}:0e3b2c5a-1111-4c3e-9a0a-000000000002",
            "type": "message.agent",
            "ticket_id": T,
            "ts": "2025-01-08T10:30:00+00:00",
            "agent_id": "zendesk:8447388090111",
        },
    ]
    assert run("zendesk_comment_agent_private")[1:] == [
        {
            "event_id": f"{T}:0e3b2c5a-1111-4c3e-9a0a-000000000003",
            "type": "message.agent",
            "ticket_id": T,
            "ts": "2025-01-08T10:31:00+00:00",
            "agent_id": "zendesk:8447388090111",
            "public": False,
        },
    ]


@pytest.mark.parametrize(
    ("name", "suffix", "type_", "status", "ts"),
    [
        ("zendesk_status_pending", "04", "ticket.status", "pending", "2025-01-08T11:00:00+00:00"),
        ("zendesk_status_hold", "05", "ticket.status", "on_hold", "2025-01-08T11:30:00+00:00"),
        ("zendesk_status_open", "06", "ticket.status", "open", "2025-01-08T12:00:00+00:00"),
        ("zendesk_status_solved", "07", "ticket.resolved", None, "2025-01-08T13:00:00+00:00"),
        ("zendesk_status_reopened", "08", "ticket.reopened", None, "2025-01-09T08:00:00+00:00"),
        ("zendesk_status_closed", "09", "ticket.closed", None, "2025-01-12T08:00:00+00:00"),
    ],
)
def test_status_changes(name: str, suffix: str, type_: str, status: str | None, ts: str) -> None:
    expected = {
        "event_id": f"{T}:5b2f0000-0000-4000-8000-0000000000{suffix}",
        "type": type_,
        "ticket_id": T,
        "ts": ts,
    }
    if status:
        expected["status"] = status
    assert run(name) == [CREATED, expected]


def test_group_change_is_a_transfer_between_groups() -> None:
    events = run("zendesk_group_changed")
    assert events[0]["team"] == "group-8447320466999"
    assert events[1] == {
        "event_id": f"{T}:5b2f0000-0000-4000-8000-00000000000a",
        "type": "ticket.transferred",
        "ticket_id": T,
        "ts": "2025-01-08T10:20:00+00:00",
        "from_team": "group-8447320466430",
        "to_team": "group-8447320466999",
    }
    named = translate(
        fixture("zendesk_group_changed")["payload"],
        ConnectorConfig(teams={"zendesk:8447320466430": "support", "zendesk:8447320466999": "it"}),
    )
    assert (named[1]["from_team"], named[1]["to_team"]) == ("support", "it")


def test_satisfaction_good_is_csat_5_and_bad_is_csat_1() -> None:
    good = run("zendesk_satisfaction_good")
    assert good == [
        {
            "event_id": f"{T}:created",
            "type": "ticket.created",
            "ticket_id": T,
            "ts": "2025-01-08T10:12:07+00:00",
            "team": "Support",
            "channel": "email",
            "priority": "high",
            "customer_id": "zendesk:8447388090494",
        },
        {
            "event_id": f"{T}:csat",
            "type": "survey.response",
            "ticket_id": T,
            "ts": "2025-01-09T09:15:00+00:00",
            "kind": "csat",
            "score": 5,
        },
    ]
    bad = run("zendesk_satisfaction_bad")
    assert (bad[0]["channel"], bad[1]["score"], bad[1]["ticket_id"]) == ("web", 1, "zendesk:5159")


def test_an_offered_survey_yields_nothing_and_other_bodies_are_refused() -> None:
    payload = fixture("zendesk_satisfaction_good")["payload"]
    assert translate({**payload, "satisfaction": "Offered"}) == []
    assert translate({"type": "zen:event-type:user.active_changed", "detail": {}}) == []
    with pytest.raises(PayloadError, match="not a Zendesk"):
        translate({"event": "conversation_created"})
