from __future__ import annotations

from typing import Any

import pytest

from streams.connectors.common import ConnectorConfig, PayloadError
from streams.connectors.zendesk import channel, rating, translate

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
    "category": "incident",
}

# What Zendesk's reference documents (developer.zendesk.com/api-reference/webhooks/event-types/
# ticket-events/): the top level, the detail object's properties, the event object per type.
DETAIL = {
    "actor_id", "assignee_id", "brand_id", "created_at", "custom_status", "description",
    "external_id", "form_id", "group_id", "id", "is_public", "organization_id", "priority",
    "requester_id", "status", "subject", "submitter_id", "tags", "type", "updated_at", "via",
    "via.channel",
}  # fmt: skip
TOP = {"account_id", "detail", "event", "id", "subject", "time", "type", "zendesk_event_version"}
CHANGE = {"meta", "current", "previous", "current.id", "previous.id"}
COMMENT = {"meta", "comment", "comment.id", "comment.body", "comment.is_public", "comment.author"}
COMMENT |= {"comment.author.id", "comment.author.is_staff", "comment.author.name"}
# the trigger body is ours (docs/ingestion.md), built from documented placeholders;
# its top-level "type" is probed to tell it from a ticket event
TRIGGER = (
    {"type", "ticket", "satisfaction"}
    | {
        f"ticket.{name}"
        for name in (
            "id",
            "created_at",
            "updated_at",
            "group_id",
            "group",
            "priority",
            "via",
            "type",
        )
    }
    | {"ticket.requester_id"}
)


class Tracked(dict[str, Any]):
    """A payload that notes every key the connector reads (``get``, ``[]``, ``in``)."""

    def __init__(self, data: dict[str, Any], path: str, read: set[str]) -> None:
        super().__init__({key: track(value, f"{path}{key}.", read) for key, value in data.items()})
        self.path, self.read = path, read

    def get(self, key: Any, default: Any = None) -> Any:
        self.read.add(f"{self.path}{key}")
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.read.add(f"{self.path}{key}")
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.read.add(f"{self.path}{key}")
        return super().__contains__(key)


def track(value: Any, path: str, read: set[str]) -> Any:
    return Tracked(value, path, read) if isinstance(value, dict) else value


def documented(payload: dict[str, Any]) -> set[str]:
    if "satisfaction" in payload:
        return TRIGGER
    event = COMMENT if payload["type"].endswith("comment_added") else CHANGE
    return TOP | {f"detail.{name}" for name in DETAIL} | {f"event.{name}" for name in event}


def run(name: str) -> list[dict[str, Any]]:
    return checked(translate(fixture(name)["payload"]))


WEBHOOKS = [
    "zendesk_created",
    "zendesk_created_voicemail",
    "zendesk_comment_description",
    "zendesk_comment_requester",
    "zendesk_comment_agent_public",
    "zendesk_comment_agent_private",
    "zendesk_status_pending",
    "zendesk_status_hold",
    "zendesk_status_open",
    "zendesk_status_solved",
    "zendesk_status_reopened",
    "zendesk_status_closed",
    "zendesk_status_archived",
    "zendesk_group_changed",
    "zendesk_agent_assigned",
    "zendesk_priority_changed",
    "zendesk_type_changed",
    "zendesk_soft_deleted",
    "zendesk_marked_as_spam",
    "zendesk_satisfaction_good",
    "zendesk_satisfaction_bad",
]


@pytest.mark.parametrize("name", WEBHOOKS)
def test_the_connector_reads_only_fields_zendesk_documents(name: str) -> None:
    payload = fixture(name)["payload"]
    read: set[str] = set()
    checked(translate(track(payload, "", read)))
    assert read <= documented(payload), sorted(read - documented(payload))


def test_the_contract_check_fails_on_a_field_the_reference_does_not_carry() -> None:
    read: set[str] = set()
    payload = track({"type": "zen:event-type:ticket.created", "detail": {}}, "", read)
    payload["detail"].get("group_name")  # what a connector reading an invented field does
    assert "detail.group_name" not in documented(fixture("zendesk_created")["payload"])
    assert "detail.group_name" in read


def test_ticket_created_event_maps_the_type_to_a_category() -> None:
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


def test_the_description_an_agent_writes_opening_a_ticket_is_no_reply() -> None:
    events = run("zendesk_comment_description")
    assert events[0]["channel"] == "web"
    assert events[1] == {
        "event_id": f"{T}:0e3b2c5a-1111-4c3e-9a0a-00000000000d",
        "type": "message.agent",
        "ticket_id": T,
        "ts": "2025-01-08T10:12:07.702000+00:00",
        "agent_id": "zendesk:8447388090111",
        "public": False,
    }


def test_the_description_is_known_by_its_text_even_when_the_event_comes_late() -> None:
    payload = fixture("zendesk_comment_description")["payload"]
    late = {**payload, "time": "2025-01-08T10:20:00Z"}  # 473 s after created_at
    assert translate(late)[1]["public"] is False
    other = {**late, "event": {"comment": {**payload["event"]["comment"], "body": "On it"}}}
    assert "public" not in translate(other)[1]  # a later public reply is a response


def test_a_customers_description_is_not_a_message() -> None:
    payload = fixture("zendesk_comment_requester")["payload"]
    comment = {**payload["event"]["comment"], "body": "My printer is on fire!"}
    assert translate({**payload, "event": {"comment": comment}}) == []


@pytest.mark.parametrize(
    ("name", "suffix", "type_", "status", "ts"),
    [
        ("zendesk_status_pending", "04", "ticket.status", "pending", "2025-01-08T11:00:00+00:00"),
        ("zendesk_status_hold", "05", "ticket.status", "on_hold", "2025-01-08T11:30:00+00:00"),
        ("zendesk_status_open", "06", "ticket.status", "open", "2025-01-08T12:00:00+00:00"),
        ("zendesk_status_solved", "07", "ticket.resolved", None, "2025-01-08T13:00:00+00:00"),
        ("zendesk_status_reopened", "08", "ticket.reopened", None, "2025-01-09T08:00:00+00:00"),
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


@pytest.mark.parametrize(
    ("name", "ts"),
    [
        ("zendesk_status_closed", "2025-01-12T08:00:00+00:00"),
        ("zendesk_status_archived", "2025-05-12T08:00:00+00:00"),
        ("zendesk_soft_deleted", "2025-01-09T12:00:00+00:00"),
        ("zendesk_marked_as_spam", "2025-01-08T10:30:00+00:00"),
    ],
)
def test_every_ending_closes_the_ticket_under_one_id(name: str, ts: str) -> None:
    events = run(name)
    closing = {"event_id": f"{T}:closed", "type": "ticket.closed", "ticket_id": T, "ts": ts}
    assert events[1:] == [closing]


def test_scrubbed_and_permanently_deleted_tickets_close_too() -> None:
    payload = fixture("zendesk_status_archived")["payload"]
    scrubbed = {**payload, "event": {"current": "SCRUBBED", "previous": "DELETED"}}
    assert translate(scrubbed)[1]["type"] == "ticket.closed"
    gone = {**fixture("zendesk_soft_deleted")["payload"]}
    gone["type"] = "zen:event-type:ticket.permanently_deleted"
    assert translate(gone)[1]["event_id"] == f"{T}:closed"


def test_an_unknown_status_is_one_line_400() -> None:
    payload = fixture("zendesk_status_open")["payload"]
    with pytest.raises(PayloadError, match="'LIMBO' is not new/open"):
        translate({**payload, "event": {"current": "LIMBO", "previous": "OPEN"}})


def test_priority_and_type_changes_are_ticket_updates_created_with_the_old_values() -> None:
    priority = run("zendesk_priority_changed")
    assert priority[0]["priority"] == "high"  # asserted creation: the value before the change
    assert priority[1] == {
        "event_id": f"{T}:5b2f0000-0000-4000-8000-00000000000b",
        "type": "ticket.updated",
        "ticket_id": T,
        "ts": "2025-01-08T10:25:00+00:00",
        "priority": "urgent",
    }
    kind = run("zendesk_type_changed")
    assert kind[0]["category"] == "incident"
    assert kind[1]["category"] == "request"  # TASK


def test_group_change_is_a_transfer_between_groups() -> None:
    events = run("zendesk_group_changed")
    assert events[0]["team"] == "group-8447320466430"  # created in the group it left
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


def test_agent_assignment_is_ticket_assigned() -> None:
    assert run("zendesk_agent_assigned")[1] == {
        "event_id": f"{T}:5b2f0000-0000-4000-8000-00000000000d",
        "type": "ticket.assigned",
        "ticket_id": T,
        "ts": "2025-01-08T10:21:00+00:00",
        "agent_id": "zendesk:8447388090111",
    }


@pytest.mark.parametrize(
    ("via", "expected"),
    [
        ("voicemail", "phone"),
        ("phone_call_outbound", "phone"),
        ("api_phone_call_inbound", "phone"),
        ("facebook_message", "social"),
        ("twitter_dm", "social"),
        ("instagram_dm", "social"),
        ("whatsapp", "social"),
        ("native_messaging", "chat"),
        ("chat_transcript", "chat"),
        ("sms", "chat"),
        ("mail", "email"),
        ("closed_ticket", "email"),
        ("web_form", "web"),
        ("web_service", "web"),
        ("rule", "web"),
        (33, "phone"),  # a via id
        ({"channel": "twitter"}, "social"),
        ("Phone call (incoming)", "phone"),  # {{ticket.via}} in a trigger
        ("Mail", "email"),
        ("Web Form", "web"),
    ],
)
def test_via_channels_map_to_the_contracts_channels(via: Any, expected: str) -> None:
    assert channel(via) == expected


def test_a_voicemail_ticket_is_a_phone_contact() -> None:
    assert run("zendesk_created_voicemail")[0]["channel"] == "phone"


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


@pytest.mark.parametrize(
    ("value", "score"),
    [
        ("good_with_comment", 5),
        ("Good with comment", 5),
        ("good_without_comment", 5),
        ("Good, I'm satisfied", 5),
        ("bad_with_comment", 1),
        ("Bad with comment", 1),
        ("BAD", 1),
        ("Offered", None),
        ("unoffered", None),
        ("", None),
    ],
)
def test_every_form_of_a_rating_is_read(value: str, score: int | None) -> None:
    assert rating(value) == score


def test_an_unreadable_rating_is_refused_not_dropped() -> None:
    payload = fixture("zendesk_satisfaction_good")["payload"]
    with pytest.raises(PayloadError, match="'Gut' is not good/bad"):
        translate({**payload, "satisfaction": "Gut"})


def test_an_offered_survey_yields_nothing_and_other_bodies_are_refused() -> None:
    payload = fixture("zendesk_satisfaction_good")["payload"]
    assert translate({**payload, "satisfaction": "Offered"}) == []
    assert translate({"type": "zen:event-type:user.active_changed", "detail": {}}) == []
    with pytest.raises(PayloadError, match="not a Zendesk"):
        translate({"event": "conversation_created"})
