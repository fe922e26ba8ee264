"""The Zammad connector on payloads in Zammad's real shapes (fixtures cite file and commit).

Ticket 31 (T = "zammad:31"), 2026-11-24 UTC: Nicole Braun (user 2) emails group Users at
09:00; Emma Weber (user 3) takes it at 09:10, replies at 09:20 (15 units booked), notes
internally at 09:25 (5 units); Nicole writes at 09:30; pending reminder at 09:40; group
2nd Level (id 4) at 09:50; closed at 10:00; Nicole's follow-up reopens it at 10:30;
priority 3 high at 10:40; Emma replies and sets the custom "waiting for customer" at
10:50; the custom "escalated to vendor" with an internal note at 11:00.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from streams.connectors.common import ConnectorConfig, PayloadError
from streams.connectors.zammad import PREVIOUS_GROUP, state_type, translate

from .support import FIXTURES, checked, fixture

T = "zammad:31"
CREATED = {
    "event_id": f"{T}:created",
    "type": "ticket.created",
    "ticket_id": T,
    "ts": "2026-11-24T09:00:00+00:00",
    "team": "Users",
    "channel": "email",
    "priority": "normal",
    "customer_id": "zammad:2",
}
NAMES = sorted(path.stem for path in FIXTURES.glob("zammad_*.json"))

# The keys of Zammad's default payload, from its source (each fixture's "source" cites
# file and commit): db/migrate/20120101000010_create_ticket.rb (ticket and article
# columns), db/migrate/20120101000001_create_base.rb (users, groups), then what
# attributes_with_association_names and TriggerWebhookJob::RecordPayload add.
TICKET_KEYS = {
    "id", "group_id", "priority_id", "state_id", "organization_id", "number", "title",
    "owner_id", "customer_id", "note", "first_response_at", "first_response_escalation_at",
    "first_response_in_min", "first_response_diff_in_min", "close_at", "close_escalation_at",
    "close_in_min", "close_diff_in_min", "update_escalation_at", "update_in_min",
    "update_diff_in_min", "last_close_at", "last_contact_at", "last_contact_agent_at",
    "last_contact_customer_at", "last_owner_update_at", "create_article_type_id",
    "create_article_sender_id", "article_count", "escalation_at", "pending_time", "type",
    "approver", "approval_state", "time_unit", "preferences", "ai_agent_running",
    "updated_by_id", "created_by_id", "created_at", "updated_at",
    # has_many as ids; belongs_to as names; RecordPayload::Ticket::ASSOCIATIONS as records
    "article_ids", "ticket_time_accounting_ids", "state", "create_article_type",
    "create_article_sender", "owner", "customer", "created_by", "updated_by", "organization",
    "priority", "group",
}  # fmt: skip
ARTICLE_KEYS = {
    "id", "ticket_id", "type_id", "sender_id", "detected_language", "from", "to", "cc",
    "subject", "reply_to", "message_id", "message_id_md5", "in_reply_to", "content_type",
    "body", "internal", "preferences", "updated_by_id", "created_by_id", "origin_by_id",
    "created_at", "updated_at",
    # names, records (RecordPayload::Ticket::Article), attachments, accounted_time
    "type", "sender", "origin_by", "created_by", "updated_by", "attachments", "accounted_time",
}  # fmt: skip
USER_KEYS = {  # users columns without password, last_login, login_failed, preferences
    "id", "organization_id", "login", "firstname", "lastname", "email", "image",
    "image_source", "web", "phone", "fax", "mobile", "department", "street", "zip", "city",
    "country", "address", "vip", "verified", "active", "note", "source", "out_of_office",
    "out_of_office_start_at", "out_of_office_end_at", "out_of_office_replacement_id",
    "updated_by_id", "created_by_id", "created_at", "updated_at",
}  # fmt: skip
GROUP_KEYS = {
    "id", "signature_id", "email_address_id", "name", "assignment_timeout",
    "follow_up_possible", "follow_up_assignment", "active", "note", "updated_by_id",
    "created_by_id", "created_at", "updated_at",
}  # fmt: skip
PRIORITY_KEYS = {  # ticket_priorities columns
    "id", "name", "default_create", "ui_icon", "ui_color", "note", "active", "updated_by_id",
    "created_by_id", "created_at", "updated_at",
}  # fmt: skip
ORGANIZATION_KEYS = {
    "id", "name", "shared", "domain", "domain_assignment", "active", "note", "updated_by_id",
    "created_by_id", "created_at", "updated_at",
}  # fmt: skip
SHAPE = {
    "": {"ticket", "article"},
    "ticket": TICKET_KEYS,
    "ticket.group": GROUP_KEYS,
    "ticket.priority": PRIORITY_KEYS,
    "ticket.organization": ORGANIZATION_KEYS,
    "article": ARTICLE_KEYS,
    **{f"ticket.{u}": USER_KEYS for u in ("owner", "customer", "created_by", "updated_by")},
    **{f"article.{u}": USER_KEYS for u in ("created_by", "updated_by")},
}


def run(name: str, trigger: str | None = "", **kwargs: Any) -> list[dict[str, Any]]:
    """The fixture translated; ``trigger=""`` means the fixture's own X-Zammad-Trigger."""
    sample = fixture(name)
    name_ = sample["headers"]["X-Zammad-Trigger"] if trigger == "" else trigger
    return checked(translate(sample["payload"], name_, **kwargs))


def payload(name: str, **ticket: Any) -> dict[str, Any]:
    """A fixture's payload with some ticket fields changed."""
    data = copy.deepcopy(fixture(name)["payload"])
    data["ticket"].update(ticket)
    return data


# ---- the real shape ----------------------------------------------------------------------


def _unknown_keys(value: Any, path: str) -> set[str]:
    if not isinstance(value, dict) or path not in SHAPE:
        return set()  # lists, values and free-form objects (preferences, attachments)
    found = {f"{path}.{key}".lstrip(".") for key in value if key not in SHAPE[path]}
    for key, inner in value.items():
        found |= _unknown_keys(inner, f"{path}.{key}".lstrip("."))
    return found


@pytest.mark.parametrize("name", NAMES)
def test_every_fixture_carries_only_keys_of_zammads_default_payload(name: str) -> None:
    sample = fixture(name)
    assert "zammad/zammad" in sample["source"] and "@ " in sample["source"]
    assert _unknown_keys(sample["payload"], "") == set()
    assert set(sample["headers"]) == {"X-Zammad-Trigger", "X-Zammad-Delivery", "Content-Type"}


class Recorded(dict[str, Any]):
    """A payload that notes every key read from it, with its path (``ticket.group.name``)."""

    def __init__(self, data: dict[str, Any], path: str, reads: set[str]) -> None:
        super().__init__(
            {k: _recorded(v, f"{path}.{k}".lstrip("."), reads) for k, v in data.items()}
        )
        self.path, self.reads = path, reads

    def _note(self, key: Any) -> None:
        self.reads.add(f"{self.path}.{key}".lstrip("."))

    def get(self, key: Any, default: Any = None) -> Any:
        self._note(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key: Any) -> bool:
        self._note(key)
        return super().__contains__(key)


def _recorded(value: Any, path: str, reads: set[str]) -> Any:
    if isinstance(value, dict):
        return Recorded(value, path, reads)
    if isinstance(value, list):
        return [_recorded(item, path, reads) for item in value]
    return value


def reads_outside_the_shape(translator: Callable[[Any], Any], data: dict[str, Any]) -> set[str]:
    reads: set[str] = set()
    translator(_recorded(data, "", reads))
    return {path for path in reads if path.rpartition(".")[2] not in SHAPE[path.rpartition(".")[0]]}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("own_trigger", [True, False], ids=["own trigger", "no kind word"])
def test_the_connector_reads_no_key_zammads_payload_lacks(name: str, own_trigger: bool) -> None:
    sample = fixture(name)
    trigger = sample["headers"]["X-Zammad-Trigger"] if own_trigger else "notify"
    assert reads_outside_the_shape(lambda p: translate(p, trigger), sample["payload"]) == set()


def test_reading_a_key_zammad_does_not_send_is_caught() -> None:
    """The state's type is not in the payload: a connector reading it fails the test above."""

    def reads_state_type(data: Any) -> Any:
        return data["ticket"].get("state_type"), data["ticket"]["group"].get("parent_name")

    found = reads_outside_the_shape(reads_state_type, fixture("zammad_group")["payload"])
    assert found == {"ticket.state_type", "ticket.group.parent_name"}


# ---- creation, articles and time -----------------------------------------------------------


def test_the_created_trigger_yields_the_ticket_and_not_its_creating_article() -> None:
    assert run("zammad_created") == [CREATED]


def test_an_unassigned_ticket_owned_by_the_dash_user_has_no_assignment() -> None:
    # owner_id 1 is the user "-": a trigger without a kind word states no assignment
    types = [e["type"] for e in run("zammad_created", trigger="notify")]
    assert "ticket.assigned" not in types
    assert "ticket.status" not in types  # state new: nothing to say


def test_a_customer_article_is_a_customer_message_at_its_created_at() -> None:
    assert run("zammad_article_customer") == [
        CREATED,
        {
            "event_id": f"{T}:article:107",
            "type": "message.customer",
            "ticket_id": T,
            "ts": "2026-11-24T09:30:00+00:00",
        },
    ]


def test_an_agent_article_is_a_public_message_with_its_booked_time_as_work() -> None:
    # accounted_time 15 units x 60 s (minutes, the default unit) = 900 s
    assert run("zammad_article_agent")[1:] == [
        {
            "event_id": f"{T}:article:105",
            "type": "message.agent",
            "ticket_id": T,
            "ts": "2026-11-24T09:20:00+00:00",
            "agent_id": "zammad:3",
            "work_seconds": 900,
        },
    ]


def test_an_internal_note_is_no_response_but_its_time_is_work() -> None:
    # accounted_time 5 units x 60 s = 300 s
    assert run("zammad_article_internal")[1:] == [
        {
            "event_id": f"{T}:article:106",
            "type": "message.agent",
            "ticket_id": T,
            "ts": "2026-11-24T09:25:00+00:00",
            "agent_id": "zammad:3",
            "public": False,
            "work_seconds": 300,
        },
    ]


def test_the_seconds_of_a_time_unit_follow_the_accounts_unit() -> None:
    # an account counting hours: 15 x 3600 s = 54000 s; quarters: 15 x 900 s = 13500 s
    hours = run("zammad_article_agent", seconds_per_time_unit=3600)
    assert hours[1]["work_seconds"] == 54000
    quarters = run("zammad_article_agent", seconds_per_time_unit=900)
    assert quarters[1]["work_seconds"] == 13500


def test_an_article_without_booked_time_has_no_work_seconds() -> None:
    data = copy.deepcopy(fixture("zammad_article_agent")["payload"])
    data["article"]["accounted_time"] = 0  # what Zammad sends when nothing was booked
    assert "work_seconds" not in checked(translate(data, "servicepulse article"))[1]


def test_a_public_note_is_not_a_reply_as_zammads_first_response_has_it() -> None:
    data = copy.deepcopy(fixture("zammad_article_agent")["payload"])
    data["article"].update(type="note", type_id=10)  # note: communication false
    assert checked(translate(data, "servicepulse article"))[1]["public"] is False


def test_system_articles_are_no_ones_reply() -> None:
    data = copy.deepcopy(fixture("zammad_article_agent")["payload"])
    data["article"].update(sender="System", sender_id=3)
    assert checked(translate(data, "servicepulse article")) == [CREATED]


# ---- owner, group, priority ---------------------------------------------------------------


def test_an_owner_change_is_an_assignment_to_the_owner() -> None:
    assert run("zammad_owner")[1:] == [
        {
            "event_id": f"{T}:owner:3:2026-11-24T09:10:00+00:00",
            "type": "ticket.assigned",
            "ticket_id": T,
            "ts": "2026-11-24T09:10:00+00:00",
            "agent_id": "zammad:3",
        },
    ]


def test_a_group_change_hands_off_to_the_name_tickets_are_created_under() -> None:
    events = run("zammad_group")
    created_in_second_level = events[0]["team"]  # the payload shows the ticket as it is now
    assert events[1:] == [
        {
            "event_id": f"{T}:group:4:2026-11-24T09:50:00+00:00",
            "type": "ticket.transferred",
            "ticket_id": T,
            "ts": "2026-11-24T09:50:00+00:00",
            "from_team": PREVIOUS_GROUP,  # no previous group sent: the engine takes its own
            "to_team": "2nd Level",
        },
        {  # the owner Zammad kept after the hand-off
            "event_id": f"{T}:owner:3:2026-11-24T09:50:00+00:00",
            "type": "ticket.assigned",
            "ticket_id": T,
            "ts": "2026-11-24T09:50:00+00:00",
            "agent_id": "zammad:3",
        },
    ]
    assert created_in_second_level == "2nd Level"


def test_a_mapped_group_is_the_same_team_in_the_creation_and_the_hand_off() -> None:
    config = ConnectorConfig(teams={"zammad:4": "second-line"})
    events = checked(translate(fixture("zammad_group")["payload"], "servicepulse group", config))
    assert (events[0]["team"], events[1]["to_team"]) == ("second-line", "second-line")
    data = payload("zammad_group", group={})  # no record: the id form, in both
    events = checked(translate(data, "servicepulse group"))
    assert (events[0]["team"], events[1]["to_team"]) == ("group-4", "group-4")


def test_a_group_named_like_the_placeholder_still_is_a_hand_off() -> None:
    data = copy.deepcopy(fixture("zammad_group")["payload"])
    data["ticket"]["group"]["name"] = PREVIOUS_GROUP
    moved = checked(translate(data, "servicepulse group"))[1]
    assert moved["to_team"] == PREVIOUS_GROUP and moved["from_team"] != PREVIOUS_GROUP


def test_a_priority_change_updates_the_tickets_priority() -> None:
    assert run("zammad_priority")[1:] == [
        {
            "event_id": f"{T}:priority:3:2026-11-24T10:40:00+00:00",
            "type": "ticket.updated",
            "ticket_id": T,
            "ts": "2026-11-24T10:40:00+00:00",
            "priority": "high",  # "3 high"
        },
    ]


# ---- states, by their type --------------------------------------------------------------


def test_pending_reminder_pauses() -> None:
    assert run("zammad_state_pending")[1:] == [
        {
            "event_id": f"{T}:state:pending:2026-11-24T09:40:00+00:00",
            "type": "ticket.status",
            "ticket_id": T,
            "ts": "2026-11-24T09:40:00+00:00",
            "status": "pending",
        },
    ]


def test_closed_resolves_at_the_last_close_credited_to_the_owner() -> None:
    assert run("zammad_state_closed")[1:] == [
        {
            "event_id": f"{T}:closed:2026-11-24T10:00:00+00:00",
            "type": "ticket.resolved",
            "ticket_id": T,
            "ts": "2026-11-24T10:00:00+00:00",
            "agent_id": "zammad:3",
        },
    ]


def test_a_follow_up_reopens_with_the_customers_article_first() -> None:
    reopened_at = "2026-11-24T10:30:00.180000+00:00"
    assert run("zammad_state_reopened")[1:] == [
        {
            "event_id": f"{T}:article:108",
            "type": "message.customer",
            "ticket_id": T,
            "ts": "2026-11-24T10:30:00+00:00",
        },
        {  # once per close: keyed by last_close_at
            "event_id": f"{T}:reopened:2026-11-24T10:00:00+00:00",
            "type": "ticket.reopened",
            "ticket_id": T,
            "ts": reopened_at,
        },
        {
            "event_id": f"{T}:state:open:{reopened_at}",
            "type": "ticket.status",
            "ticket_id": T,
            "ts": reopened_at,
            "status": "open",
        },
    ]


def test_a_second_close_and_reopen_are_new_facts() -> None:
    closed = payload(
        "zammad_state_closed",
        last_close_at="2026-11-24T12:00:00.000Z",
        updated_at="2026-11-24T12:00:00.001Z",
    )
    assert checked(translate(closed, "servicepulse state"))[1]["event_id"] == (
        f"{T}:closed:2026-11-24T12:00:00+00:00"
    )
    reopened = payload("zammad_state_reopened", last_close_at="2026-11-24T12:00:00.000Z")
    assert checked(translate(reopened, "servicepulse state"))[2]["event_id"] == (
        f"{T}:reopened:2026-11-24T12:00:00+00:00"
    )


def test_a_custom_pending_state_pauses_after_the_reply_it_came_with() -> None:
    # "waiting for customer" (id 8) is no default name; its pending_time marks a pending type
    assert run("zammad_state_custom")[1:] == [
        {
            "event_id": f"{T}:article:109",
            "type": "message.agent",
            "ticket_id": T,
            "ts": "2026-11-24T10:50:00+00:00",
            "agent_id": "zammad:3",
            "work_seconds": 600,  # 10 units x 60 s
        },
        {
            "event_id": f"{T}:state:pending:2026-11-24T10:50:00.160000+00:00",
            "type": "ticket.status",
            "ticket_id": T,
            "ts": "2026-11-24T10:50:00.160000+00:00",
            "status": "pending",
        },
    ]


def test_a_state_of_unknown_type_translates_the_article_and_skips_the_state() -> None:
    # "escalated to vendor" (id 9): no pending time, no close with this update
    assert run("zammad_state_unknown") == [
        {**CREATED, "priority": "high", "team": "2nd Level"},
        {
            "event_id": f"{T}:article:110",
            "type": "message.agent",
            "ticket_id": T,
            "ts": "2026-11-24T11:00:00+00:00",
            "agent_id": "zammad:3",
            "public": False,
        },
    ]


def test_a_custom_state_saved_with_its_close_is_a_close() -> None:
    # Ticket::SetsCloseTime sets last_close_at in the save that sets updated_at
    solved = payload(
        "zammad_state_closed", state="solved", state_id=10, updated_at="2026-11-24T10:00:00.400Z"
    )
    assert state_type(solved["ticket"]) == "closed"
    assert checked(translate(solved, "servicepulse state"))[1]["type"] == "ticket.resolved"
    later = payload("zammad_state_closed", state="solved", state_id=10)
    later["ticket"]["updated_at"] = "2026-11-24T10:05:00.000Z"  # a later update: not told
    assert state_type(later["ticket"]) is None


def test_a_trigger_name_declares_the_type_of_the_states_it_selects() -> None:
    solved = payload("zammad_state_unknown")
    assert state_type(solved["ticket"], "servicepulse state:closed") == "closed"
    events = checked(translate(solved, "servicepulse state:closed"))
    assert [e["type"] for e in events] == ["ticket.created", "message.agent", "ticket.resolved"]
    assert state_type(solved["ticket"], "servicepulse state: open") == "open"


def test_a_renamed_default_state_keeps_the_type_of_its_id() -> None:
    renamed = payload("zammad_state_closed", state="done", updated_at="2026-11-25T08:00:00.000Z")
    assert state_type(renamed["ticket"]) == "closed"  # state_id 4: the seeded "closed"


def test_a_merged_ticket_is_closed_and_says_nothing_else() -> None:
    merged = payload("zammad_state_closed", state="merged", state_id=5, owner_id=1)
    assert checked(translate(merged, None)) == [
        {**CREATED, "priority": "normal", "team": "2nd Level"},
        {
            "event_id": f"{T}:merged",
            "type": "ticket.closed",
            "ticket_id": T,
            "ts": "2026-11-24T10:00:00.001000+00:00",
        },
    ]


def test_a_trigger_without_a_kind_word_states_everything_the_payload_shows() -> None:
    types = [e["type"] for e in run("zammad_state_reopened", trigger="notify someone")]
    assert types == [
        "ticket.created",
        "message.customer",
        "ticket.transferred",  # to the group it has: the engine ignores a hand-off to its team
        "ticket.assigned",
        "ticket.updated",
        "ticket.reopened",
        "ticket.status",
    ]


def test_trigger_words_combine() -> None:
    types = [e["type"] for e in run("zammad_group", trigger="servicepulse group and priority")]
    assert types == ["ticket.created", "ticket.transferred", "ticket.assigned", "ticket.updated"]


# ---- retries and bad bodies ---------------------------------------------------------------


def test_a_retried_delivery_and_a_second_trigger_of_the_same_change_repeat_the_ids() -> None:
    first = run("zammad_state_custom")
    assert run("zammad_state_custom") == first  # X-Zammad-Delivery plays no part
    by_article_trigger = run("zammad_state_custom", trigger="servicepulse article")
    assert by_article_trigger[1]["event_id"] == first[1]["event_id"] == f"{T}:article:109"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"event": "message_created"}, "no 'ticket' object"),
        ({"ticket": {"created_at": "2026-11-24T09:00:00.000Z"}}, "ticket.id is missing"),
        ({"ticket": {"id": 31, "created_at": "2026-11-24T09:00:00"}}, "has no offset"),
        ({"ticket": {"id": 31, "created_at": "2026-11-24T09:00:00Z"}, "article": []}, "article"),
    ],
)
def test_a_body_that_is_no_zammad_webhook_is_a_one_line_payload_error(
    body: dict[str, Any], reason: str
) -> None:
    with pytest.raises(PayloadError, match=reason) as caught:
        translate(body, "servicepulse article")
    assert "\n" not in str(caught.value)
