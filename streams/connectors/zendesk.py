"""Zendesk webhooks -> contract events.

Two shapes arrive on ``/v1/webhooks/zendesk``:

* a **ticket event** of a webhook subscribed to Zendesk events
  (``"type": "zen:event-type:ticket.*"``, the ticket in ``detail``, the change in
  ``event``, a unique ``id`` per event that a retry repeats);
* the JSON body of a **trigger** for the satisfaction rating:
  ``{"ticket": {...}, "satisfaction": "good"}``, the templates in docs/ingestion.md.

===========================================  =========================================
ticket.created                               ticket.created (type -> category)
ticket.comment_added, the ticket's first     staff: message.agent ``public: false``;
comment (the description)                    end user: nothing (never a reply)
ticket.comment_added, author not staff       message.customer
ticket.comment_added, staff, public          message.agent
ticket.comment_added, staff, private         message.agent ``public: false``
ticket.status_changed                        PENDING -> ticket.status pending, HOLD ->
                                             on_hold, SOLVED -> ticket.resolved, OPEN
                                             after SOLVED -> ticket.reopened, OPEN
                                             otherwise -> ticket.status open, CLOSED /
                                             DELETED / ARCHIVED / SCRUBBED -> ticket.closed
ticket.soft_deleted, permanently_deleted,    ticket.closed
marked_as_spam, merged
ticket.priority_changed                      ticket.updated priority
ticket.type_changed                          ticket.updated category
ticket.group_assignment_changed              ticket.transferred
ticket.agent_assignment_changed              ticket.assigned
trigger body, rating good / bad              survey.response csat 5 / 1
===========================================  =========================================

Every ending of a ticket shares the id ``<ticket>:closed``: a soft deletion
sends both ``soft_deleted`` and a status change to DELETED, an archived
ticket was closed before; the engine counts the first and drops the others
as duplicates instead of rejecting them as ``ticket_closed``.

Zendesk rates *good* or *bad* (its newer CSAT's scales are reported as good /
bad too); the contract's CSAT is 1-5 and counts 4-5 as satisfied, so good = 5
and bad = 1: the CSAT share equals Zendesk's own satisfaction score. Groups are
teams, named ``group-<id>`` unless mapped.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from streams.connectors.common import (
    DEFAULT_CONFIG,
    ConnectorConfig,
    Event,
    PayloadError,
    event,
    ident,
    obj,
    priority,
    require,
    rfc3339,
    stable_id,
    team_name,
)

PREFIX = "zen:event-type:ticket."
FIRST_COMMENT_SECONDS = 5.0  # the description is written in the creating update
CATEGORIES = {
    "question": "inquiry",
    "incident": "incident",
    "problem": "incident",
    "task": "request",
}
ENDINGS = ("soft_deleted", "permanently_deleted", "marked_as_spam", "merged")
NO_ANSWER = ("", "offered", "unoffered", "not offered")

# Via types (https://developer.zendesk.com/documentation/ticketing/reference-guides/via-types/),
# each to the contract's channel; a type not listed (rule, merge, batch, api, ...) is web.
PHONE = (
    "voice phone voicemail phone_call_inbound phone_call_outbound "
    "api_voicemail api_phone_call_inbound api_phone_call_outbound"
)
CHAT = (
    "chat chat_transcript chat_offline_message native_messaging messaging "
    "sunshine_conversations_api sms text_message connect_sms twilio_sms messagebird_sms "
    "google_rcs business_messaging_slack_connect symphony"
)
EMAIL = "email mail connect_mail mailgun closed_ticket lotus"
SOCIAL = (
    "twitter twitter_dm twitter_favorite facebook facebook_post facebook_message "
    "instagram_dm whatsapp line wechat telegram viber kakaotalk apple_business_chat "
    "google_business_messages sunshine_conversations_facebook_messenger "
    "sunshine_conversations_twitter_dm"
)
CHANNELS = {
    name: contract
    for names, contract in ((PHONE, "phone"), (CHAT, "chat"), (EMAIL, "email"), (SOCIAL, "social"))
    for name in names.split()
}
# via ids of the same reference, for a channel sent as a number
VIA_IDS = {
    4: "mail", 23: "twitter_favorite", 26: "twitter_dm", 27: "closed_ticket", 29: "chat",
    30: "twitter", 33: "voicemail", 34: "phone_call_inbound", 35: "phone_call_outbound",
    38: "facebook_post", 41: "facebook_message", 44: "api_voicemail",
    45: "api_phone_call_inbound", 46: "api_phone_call_outbound", 57: "sms",
}  # fmt: skip
# ``{{ticket.via}}`` in a trigger renders the reference's description ("Phone call (incoming)")
LABEL_WORDS = (
    ("phone", "phone"),
    ("voicemail", "phone"),
    ("call", "phone"),
    ("chat", "chat"),
    ("messaging", "chat"),
    ("sms", "chat"),
    ("text message", "chat"),
    ("mail", "email"),
    ("facebook", "social"),
    ("twitter", "social"),
    ("x dm", "social"),
    ("instagram", "social"),
    ("whatsapp", "social"),
)


def channel(value: Any) -> str:
    """A Zendesk via (type, id, ``{"channel": ...}`` or trigger label) -> contract channel."""
    if isinstance(value, dict):
        value = value.get("channel")
    if isinstance(value, int) and not isinstance(value, bool):
        value = VIA_IDS.get(value, "")
    text = re.sub(r"\s+", " ", str(value or "").strip().lower())
    found = CHANNELS.get(text.replace(" ", "_"))
    if found is not None:
        return found
    if text.isdigit():
        return channel(int(text))
    for word, contract in LABEL_WORDS:
        if re.search(rf"\b{word}\b", text):
            return contract
    return "web"


def category(value: Any) -> str | None:
    """Zendesk's ticket type -> contract category (problem: an incident's root cause)."""
    return CATEGORIES.get(str(value or "").strip().lower())


def rating(value: Any) -> int | None:
    """A legacy satisfaction rating -> CSAT score; None while none was given.

    Takes the API's forms (``good``, ``bad_with_comment``) and the placeholder's
    English text (``Good, I'm satisfied``, ``Bad with comment``).
    """
    text = re.sub(r"[\s_\-]+", " ", str(value or "").strip().lower())
    if text in NO_ANSWER:
        return None
    word = re.split(r"[\s,.!]", text, maxsplit=1)[0]
    if word == "good":
        return 5
    if word == "bad":
        return 1
    raise PayloadError(
        f"satisfaction {str(value)[:40]!r} is not good/bad/offered/unoffered; "
        "send a fixed value per rating (docs/ingestion.md)"
    )


def translate(payload: Any, config: ConnectorConfig = DEFAULT_CONFIG) -> list[Event]:
    """One Zendesk webhook body -> its contract events."""
    if not isinstance(payload, dict):
        raise PayloadError("a Zendesk webhook is a JSON object")
    kind = payload.get("type")
    if isinstance(kind, str) and kind.startswith("zen:event-type:"):
        if not kind.startswith(PREFIX):
            return []  # user, organization, article events: nothing to count
        return _ticket_event(kind[len(PREFIX) :], payload, config)
    if "satisfaction" in payload and isinstance(payload.get("ticket"), dict):
        return _satisfaction(payload, config)
    raise PayloadError("not a Zendesk ticket event (zen:event-type:ticket.*) or satisfaction body")


def _ticket_id(detail: Any) -> str:
    return stable_id("zendesk", ident(require(detail, "id", "detail"), "ticket id"))


def _created(
    ticket_id: str,
    ticket: dict[str, Any],
    config: ConnectorConfig,
    group_name: Any = None,
    **before: Any,
) -> Event:
    """The ticket's creation from its snapshot; ``before``: values a change replaced.

    A ticket event's ``detail`` names no group (only ``group_id``); a trigger body may.
    """

    def field(name: str) -> Any:
        return before[name] if name in before else ticket.get(name)

    requester = field("requester_id")
    group = field("group_id")
    return event(
        "ticket.created",
        f"{ticket_id}:created",
        ticket_id,
        rfc3339(require(ticket, "created_at", "ticket")),
        team=team_name(config, "zendesk", "group", group, group_name),
        channel=channel(field("via")),
        priority=priority(field("priority")),
        customer_id=f"zendesk:{requester}" if requester not in (None, "") else "zendesk:unknown",
        category=category(field("type")),
    )


def _ticket_event(kind: str, payload: dict[str, Any], config: ConnectorConfig) -> list[Event]:
    detail = payload.get("detail")
    ticket_id = _ticket_id(detail)
    assert isinstance(detail, dict)  # _ticket_id checked it
    if kind == "created":
        return [_created(ticket_id, detail, config)]
    change = obj(payload, "event")
    ts = rfc3339(require(payload, "time", "event"))
    event_id = stable_id(ticket_id, ident(require(payload, "id", "event"), "event id"))
    before: dict[str, Any] = {}
    found: list[Event] = []
    if kind == "comment_added":
        found = _comment(ticket_id, event_id, ts, detail, change.get("comment"))
    elif kind == "status_changed":
        found = _status(ticket_id, event_id, ts, change)
    elif kind in ENDINGS:
        found = [event("ticket.closed", f"{ticket_id}:closed", ticket_id, ts)]
    elif kind == "priority_changed":
        before["priority"] = change.get("previous")
        if change.get("current") is not None:
            new = priority(change.get("current"))
            found = [event("ticket.updated", event_id, ticket_id, ts, priority=new)]
    elif kind == "type_changed":
        before["type"] = change.get("previous")
        new_category = category(change.get("current"))
        if new_category is not None:
            found = [event("ticket.updated", event_id, ticket_id, ts, category=new_category)]
    elif kind == "group_assignment_changed":
        previous, current = _ref(change.get("previous")), _ref(change.get("current"))
        before["group_id"] = previous
        from_team = team_name(config, "zendesk", "group", previous, None)
        to_team = team_name(config, "zendesk", "group", current, None)
        if from_team != to_team:
            found = [
                event(
                    "ticket.transferred",
                    event_id,
                    ticket_id,
                    ts,
                    from_team=from_team,
                    to_team=to_team,
                )
            ]
    elif kind == "agent_assignment_changed":
        agent = _ref(change.get("current"))
        if agent not in (None, ""):
            found = [event("ticket.assigned", event_id, ticket_id, ts, agent_id=f"zendesk:{agent}")]
    return [_created(ticket_id, detail, config, **before), *found] if found else []


def _ref(value: Any) -> Any:
    """Zendesk sends a changed reference as ``{"id": ...}`` or as the bare id."""
    return value.get("id") if isinstance(value, dict) else value


def _first_comment(ts: str, detail: dict[str, Any], comment: dict[str, Any]) -> bool:
    """The ticket's description: written with the ticket, or its very text.

    Zendesk's first reply time ends at the first public agent comment *after*
    creation: the first comment of a ticket an agent opens is never a reply.
    """
    body, description = comment.get("body"), detail.get("description")
    text = body.strip() if isinstance(body, str) else ""
    if text and isinstance(description, str) and text == description.strip():
        return True
    try:
        created = datetime.fromisoformat(rfc3339(detail.get("created_at")))
    except PayloadError:
        return False
    return (datetime.fromisoformat(ts) - created).total_seconds() < FIRST_COMMENT_SECONDS


def _comment(
    ticket_id: str, event_id: str, ts: str, detail: dict[str, Any], comment: Any
) -> list[Event]:
    if not isinstance(comment, dict):
        raise PayloadError("Zendesk comment_added without event.comment")
    author = obj(comment, "author")
    staff = author.get("is_staff") is True
    first = _first_comment(ts, detail, comment)
    if not staff:
        return [] if first else [event("message.customer", event_id, ticket_id, ts)]
    agent = (
        f"zendesk:{author.get('id')}" if author.get("id") not in (None, "") else "zendesk:unknown"
    )
    public = False if first or comment.get("is_public") is False else None
    return [event("message.agent", event_id, ticket_id, ts, agent_id=agent, public=public)]


def _status(ticket_id: str, event_id: str, ts: str, change: dict[str, Any]) -> list[Event]:
    current = str(change.get("current") or "").upper()
    previous = str(change.get("previous") or "").upper()
    if current == "PENDING":
        return [event("ticket.status", event_id, ticket_id, ts, status="pending")]
    if current == "HOLD":
        return [event("ticket.status", event_id, ticket_id, ts, status="on_hold")]
    if current == "SOLVED":
        return [event("ticket.resolved", event_id, ticket_id, ts)]
    if current in ("CLOSED", "DELETED", "ARCHIVED", "SCRUBBED"):
        return [event("ticket.closed", f"{ticket_id}:closed", ticket_id, ts)]
    if current == "OPEN":
        if previous == "SOLVED":
            return [event("ticket.reopened", event_id, ticket_id, ts)]
        return [event("ticket.status", event_id, ticket_id, ts, status="open")]
    if current == "NEW":
        return []
    raise PayloadError(
        f"Zendesk status {current[:20]!r} is not new/open/pending/hold/solved/closed/"
        "deleted/archived/scrubbed"
    )


def _satisfaction(payload: dict[str, Any], config: ConnectorConfig) -> list[Event]:
    ticket = payload["ticket"]
    ticket_id = _ticket_id(ticket)
    score = rating(payload.get("satisfaction"))
    if score is None:
        return []  # offered, unoffered: no answer yet
    ts = rfc3339(require(ticket, "updated_at", "ticket"))
    answer = event("survey.response", f"{ticket_id}:csat", ticket_id, ts, kind="csat", score=score)
    return [_created(ticket_id, ticket, config, ticket.get("group")), answer]
