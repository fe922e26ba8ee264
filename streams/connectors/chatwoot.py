"""Chatwoot webhooks -> contract events.

Chatwoot posts one JSON object per event, its kind in ``event``. What it sends
(read from Chatwoot's source; docs/ingestion.md cites files and commits):

* ``conversation_*``: the conversation itself (``Conversations::EventDataPresenter
  #push_data``) plus ``event`` and ``changed_attributes``. Its ``id`` is the
  conversation's display id (per account); it carries ``inbox_id`` but no
  account at the top level.
* ``message_*``: the message (``Message#webhook_data``) with ``conversation``
  (the same push_data), ``inbox`` and ``account``.

So the ticket is named from what both carry, the inbox id (global) and the
display id: ``chatwoot:inbox-<inbox id>:<display id>``. Mapping:

=============================  ================================================
conversation_created           ticket.created; created ``pending`` (a bot holds
                               it) -> also ticket.status pending at creation
message_created incoming       message.customer (while a bot holds the
                               conversation, then ticket.status pending again)
message_created outgoing       message.agent, by a user (agent) only; private
                               -> ``public: false`` (internal note)
message_updated (input_csat)   survey.response csat, the rating (1-5), at the
                               time the customer answered
conversation_status_changed    pending -> ticket.status pending, snoozed ->
                               on_hold, resolved -> ticket.resolved, open ->
                               ticket.status open (from resolved:
                               ticket.reopened, then pending if a bot took it)
conversation_updated           team_id -> ticket.transferred, assignee_id ->
                               ticket.assigned, priority -> ticket.updated
=============================  ================================================

Every kind but conversation_created also asserts the ticket's creation from
the conversation in the payload (event id ``<ticket>:created``, the same id
conversation_created uses), so a conversation already open when ServicePulse
started is counted once and its events are not held for ever.
"""

from __future__ import annotations

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
    rfc3339,
    stable_id,
    team_name,
)

CONVERSATION_KINDS = ("conversation_created", "conversation_status_changed", "conversation_updated")
MESSAGE_KINDS = ("message_created", "message_updated")

# Chatwoot inbox channel types -> the contract's channels
CHANNELS = {
    "Channel::WebWidget": "chat",
    "Channel::Email": "email",
    "Channel::Api": "web",
    "Channel::Voice": "phone",
    "Channel::Sms": "chat",
    "Channel::TwilioSms": "chat",
    "Channel::Whatsapp": "social",
    "Channel::FacebookPage": "social",
    "Channel::TwitterProfile": "social",
    "Channel::Instagram": "social",
    "Channel::Telegram": "social",
    "Channel::Line": "social",
}
# Conversation#status; ``pending`` is the status of a conversation a bot holds
STATUSES = ("open", "resolved", "pending", "snoozed")


def translate(payload: Any, config: ConnectorConfig = DEFAULT_CONFIG) -> list[Event]:
    """One Chatwoot webhook payload -> its contract events (none for other kinds)."""
    if not isinstance(payload, dict):
        raise PayloadError("a Chatwoot webhook is a JSON object")
    kind = payload.get("event")
    if not isinstance(kind, str) or not kind:
        raise PayloadError("not a Chatwoot webhook: no 'event' field")
    if kind in MESSAGE_KINDS:
        conversation = payload.get("conversation")
        if not isinstance(conversation, dict):
            raise PayloadError(f"Chatwoot {kind}: 'conversation' is missing")
    elif kind in CONVERSATION_KINDS:
        conversation = payload
    else:
        return []  # contact_*, inbox_*, typing, webwidget_triggered: nothing to count
    ticket = ticket_id(conversation)
    if kind == "conversation_created":
        created = _created(ticket, conversation, config)
        return [created, *_status_at(ticket, conversation, created["ts"], creating=True)]
    if kind == "message_created":
        found = _message(ticket, payload, conversation)
    elif kind == "message_updated":
        found = _csat(ticket, payload, conversation)
    elif kind == "conversation_status_changed":
        found = _status(ticket, conversation)
    else:
        found = _updated(ticket, conversation, config)
    if not found:
        return []
    return [_created(ticket, conversation, config, found[0]["ts"]), *found]


def ticket_id(conversation: dict[str, Any]) -> str:
    """``chatwoot:inbox-<inbox id>:<display id>``: unique across accounts, in every payload.

    The display id is numbered per account; the inbox id is a global primary key
    and a conversation never changes inbox.
    """
    inbox = ident(conversation.get("inbox_id"), "Chatwoot conversation inbox_id")
    number = ident(conversation.get("id"), "Chatwoot conversation id (display id)")
    return stable_id("chatwoot", f"inbox-{inbox}", number)


def _created(
    ticket: str, conversation: dict[str, Any], config: ConnectorConfig, fallback: str = ""
) -> Event:
    meta = obj(conversation, "meta")
    team = obj(meta, "team")
    customer = obj(meta, "sender").get("id")
    created = conversation.get("created_at")
    ts = rfc3339(created) if created is not None else fallback
    if not ts:
        raise PayloadError("Chatwoot conversation has no created_at")
    return event(
        "ticket.created",
        f"{ticket}:created",
        ticket,
        ts,
        team=team_name(config, "chatwoot", "team", team.get("id"), team.get("name")),
        channel=CHANNELS.get(str(conversation.get("channel") or ""), "chat"),
        priority=priority(conversation.get("priority")),
        customer_id=f"chatwoot:{customer}" if customer is not None else "chatwoot:unknown",
    )


def _message(ticket: str, payload: dict[str, Any], conversation: dict[str, Any]) -> list[Event]:
    message_id = ident(payload.get("id"), "Chatwoot message id")
    kind = payload.get("message_type")  # the enum's name in webhook_data
    ts = rfc3339(payload.get("created_at"))
    event_id = stable_id(ticket, "message", message_id)
    private = payload.get("private") is True
    if kind == "incoming" and not private:
        found = [event("message.customer", event_id, ticket, ts)]
        if conversation.get("status") == "pending":
            # a bot still holds it: the customer's message does not hand it to agents
            # (the contract's message.customer resumes paused clocks, as in Zendesk)
            pending = stable_id(ticket, "status", "pending", ts)
            found.append(event("ticket.status", pending, ticket, ts, status="pending"))
        return found
    if kind != "outgoing":
        return []  # activity (status notes) and templates are no one's reply
    sender = payload.get("sender")
    if not isinstance(sender, dict) or sender.get("type") != "user":
        return []  # an agent bot, Captain or an automation is not an agent's response
    agent = f"chatwoot:{ident(sender.get('id'), 'Chatwoot sender id')}"
    public = False if private else None
    return [event("message.agent", event_id, ticket, ts, agent_id=agent, public=public)]


def _csat(ticket: str, payload: dict[str, Any], conversation: dict[str, Any]) -> list[Event]:
    if payload.get("content_type") != "input_csat":
        return []
    attributes = payload.get("content_attributes")
    submitted = attributes.get("submitted_values") if isinstance(attributes, dict) else None
    answer = submitted.get("csat_survey_response") if isinstance(submitted, dict) else None
    rating = answer.get("rating") if isinstance(answer, dict) else None
    if rating is None:
        return []  # the survey was sent, not yet answered
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise PayloadError(f"Chatwoot CSAT rating {rating!r} is not 1-5")
    message_id = ident(payload.get("id"), "Chatwoot message id")
    event_id = stable_id(ticket, "csat", message_id)
    ts = _answered_at(payload, conversation)
    return [event("survey.response", event_id, ticket, ts, kind="csat", score=rating)]


def _answered_at(payload: dict[str, Any], conversation: dict[str, Any]) -> str:
    """When the customer answered the survey.

    ``Message#webhook_data`` has no ``updated_at`` and the answer holds only
    rating and feedback; the answer updates the survey message, which touches
    its conversation (``belongs_to :conversation, touch: true``), so the
    conversation's ``updated_at`` in the payload is the answer's time. It is
    never before the survey was sent (``created_at``).
    """
    sent = rfc3339(payload.get("created_at"))
    touched = conversation.get("updated_at")
    if touched is None:
        return sent
    answered = rfc3339(touched)
    return max(sent, answered, key=lambda ts: datetime.fromisoformat(ts).timestamp())


def _changes(conversation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``changed_attributes`` (``[{name: {previous_value, current_value}}, ...]``) as one dict."""
    raw = conversation.get("changed_attributes") or []
    items = raw if isinstance(raw, list) else [raw]
    changes: dict[str, dict[str, Any]] = {}
    for item in items:
        if isinstance(item, dict):
            for name, change in item.items():
                if isinstance(change, dict):
                    changes[name] = change
    return changes


def _when(conversation: dict[str, Any]) -> str:
    """The change's time: the conversation's ``updated_at`` (saved with the change)."""
    updated = conversation.get("updated_at")
    if updated is None:
        raise PayloadError("Chatwoot conversation has no updated_at")
    return rfc3339(updated)


def _status(ticket: str, conversation: dict[str, Any]) -> list[Event]:
    previous = _changes(conversation).get("status", {}).get("previous_value")
    return _status_at(ticket, conversation, _when(conversation), previous=previous)


def _status_at(
    ticket: str,
    conversation: dict[str, Any],
    ts: str,
    previous: Any = None,
    creating: bool = False,
) -> list[Event]:
    """The events of reaching the conversation's ``status`` at ``ts`` from ``previous``.

    A conversation created ``open`` needs none (clocks run from creation).

    ``pending`` is Chatwoot's "a bot holds the conversation": the SLA clocks
    pause (ticket.status pending) until the hand-off to agents (open), as
    Chatwoot measures first response from the bot hand-off.
    """
    status = conversation.get("status")
    if status not in STATUSES:
        raise PayloadError(f"Chatwoot status {status!r} is not open/pending/snoozed/resolved")

    def one(type_: str, label: str, **fields: Any) -> Event:
        return event(type_, stable_id(ticket, "status", label, ts), ticket, ts, **fields)

    found: list[Event] = []
    if status == "resolved":
        return [one("ticket.resolved", "resolved")]
    if previous == "resolved":
        found.append(one("ticket.reopened", "reopened"))
    if status == "pending":
        found.append(one("ticket.status", "pending", status="pending"))
    elif status == "snoozed":
        found.append(one("ticket.status", "snoozed", status="on_hold"))
    elif not creating and previous != "resolved":
        found.append(one("ticket.status", "open", status="open"))
    return found


def _updated(ticket: str, conversation: dict[str, Any], config: ConnectorConfig) -> list[Event]:
    changes = _changes(conversation)
    ts = _when(conversation)
    found: list[Event] = []
    if "team_id" in changes:
        found += _transfer(ticket, conversation, changes["team_id"], ts, config)
    if "assignee_id" in changes:
        agent = changes["assignee_id"].get("current_value")
        if agent is not None:
            event_id = stable_id(ticket, "assignee", agent, ts)
            found.append(
                event("ticket.assigned", event_id, ticket, ts, agent_id=f"chatwoot:{agent}")
            )
    if "priority" in changes:
        value = priority(changes["priority"].get("current_value"))
        event_id = stable_id(ticket, "priority", value, ts)
        found.append(event("ticket.updated", event_id, ticket, ts, priority=value))
    return found


def _transfer(
    ticket: str,
    conversation: dict[str, Any],
    change: dict[str, Any],
    ts: str,
    config: ConnectorConfig,
) -> list[Event]:
    """team_id changed: to the new team under its name (as tickets are created), from its id.

    The payload names only the new team (``meta.team``); the previous one is an
    id (``team-<id>``, or its ``--team-map`` name), which the engine resolves to
    the ticket's current team when they differ.
    """
    current = change.get("current_value")
    team = obj(obj(conversation, "meta"), "team")
    name = team.get("name") if team.get("id") == current else None
    to_team = team_name(config, "chatwoot", "team", current, name)
    from_team = team_name(config, "chatwoot", "team", change.get("previous_value"), None)
    if from_team == to_team:
        return []
    event_id = stable_id(ticket, "team", current, ts)
    return [event("ticket.transferred", event_id, ticket, ts, from_team=from_team, to_team=to_team)]
