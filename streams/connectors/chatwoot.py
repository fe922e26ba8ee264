"""Chatwoot webhooks -> contract events.

Chatwoot posts one JSON object per event, its kind in ``event``. The
conversation (``display_id``, per account) is the ticket:
``chatwoot:<account id>:<display id>``. Mapping (docs/ingestion.md):

=============================  ================================================
conversation_created           ticket.created
message_created incoming       message.customer
message_created outgoing       message.agent (public), by a user (agent) only
message_created private        message.agent ``public: false`` (internal note)
conversation_status_changed    pending -> ticket.status pending, snoozed -> on_hold,
                               resolved -> ticket.resolved, open after resolved ->
                               ticket.reopened, open otherwise -> ticket.status open
conversation_updated           team changed -> ticket.transferred;
                               assignee changed -> ticket.assigned
message_updated (input_csat)   survey.response csat, the rating (1-5)
=============================  ================================================

Every kind but conversation_created also asserts the ticket's creation from
the conversation in the payload (event id ``<ticket>:created``, the same id
conversation_created uses), so a conversation already open when ServicePulse
started is counted once and its events are not held for ever.
"""

from __future__ import annotations

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

KINDS = (
    "conversation_created",
    "message_created",
    "message_updated",
    "conversation_status_changed",
    "conversation_updated",
)

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
MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}


def translate(payload: Any, config: ConnectorConfig = DEFAULT_CONFIG) -> list[Event]:
    """One Chatwoot webhook payload -> its contract events (maybe none, for other kinds)."""
    if not isinstance(payload, dict):
        raise PayloadError("a Chatwoot webhook is a JSON object")
    kind = payload.get("event")
    if not isinstance(kind, str) or not kind:
        raise PayloadError("not a Chatwoot webhook: no 'event' field")
    if kind.startswith("message_"):
        conversation = payload.get("conversation")
        if not isinstance(conversation, dict):
            raise PayloadError(f"Chatwoot {kind}: 'conversation' is missing")
    elif kind.startswith("conversation_"):
        conversation = payload
    else:
        return []  # contact_created, webwidget_triggered, ...: nothing to count
    ticket = _ticket_id(payload, conversation)
    if kind == "conversation_created":
        return [_created(ticket, conversation, config)]
    if kind == "message_created":
        found = _message(ticket, payload)
    elif kind == "message_updated":
        found = _csat(ticket, payload)
    elif kind == "conversation_status_changed":
        found = _status(ticket, conversation)
    elif kind == "conversation_updated":
        found = _updated(ticket, conversation, config)
    else:
        return []
    if not found:
        return []
    return [_created(ticket, conversation, config, found[0]["ts"]), *found]


def _ticket_id(payload: dict[str, Any], conversation: dict[str, Any]) -> str:
    account = payload.get("account")
    account_id = (
        (account.get("id") if isinstance(account, dict) else None)
        or conversation.get("account_id")
        or payload.get("account_id")
    )
    if account_id is None:
        raise PayloadError("Chatwoot payload has no account id (account.id or account_id)")
    number = conversation.get("display_id") or conversation.get("id")
    return stable_id(
        "chatwoot", ident(account_id, "account id"), ident(number, "conversation display_id")
    )


def _created(
    ticket: str, conversation: dict[str, Any], config: ConnectorConfig, fallback: str = ""
) -> Event:
    meta = obj(conversation, "meta")
    team = obj(meta, "team")
    sender = obj(meta, "sender")
    customer = sender.get("id") or (conversation.get("contact_inbox") or {}).get("contact_id")
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


def _message(ticket: str, payload: dict[str, Any]) -> list[Event]:
    message_id = ident(payload.get("id"), "message id")
    kind = payload.get("message_type")
    kind = MESSAGE_TYPES.get(kind, kind) if isinstance(kind, int) else kind
    ts = rfc3339(payload.get("created_at"))
    event_id = stable_id(ticket, "message", message_id)
    if kind == "incoming" and not payload.get("private"):
        return [event("message.customer", event_id, ticket, ts)]
    if kind != "outgoing":
        return []  # activity (status notes) and templates are no one's reply
    sender = obj(payload, "sender")
    if sender.get("type") not in (None, "user"):
        return []  # an agent bot or automation is not an agent's response
    if sender.get("id") is None:
        return []
    agent = f"chatwoot:{sender['id']}"
    public = None if not payload.get("private") else False
    return [event("message.agent", event_id, ticket, ts, agent_id=agent, public=public)]


def _csat(ticket: str, payload: dict[str, Any]) -> list[Event]:
    if payload.get("content_type") != "input_csat":
        return []
    attributes = payload.get("content_attributes") or {}
    submitted = attributes.get("submitted_values") if isinstance(attributes, dict) else None
    answer = (submitted or {}).get("csat_survey_response") if isinstance(submitted, dict) else None
    rating = answer.get("rating") if isinstance(answer, dict) else None
    if rating is None:
        return []  # the survey was sent, not yet answered
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise PayloadError(f"Chatwoot CSAT rating {rating!r} is not 1-5")
    message_id = ident(payload.get("id"), "message id")
    ts = rfc3339(payload.get("updated_at") or payload.get("created_at"))
    event_id = stable_id(ticket, "csat", message_id)
    return [event("survey.response", event_id, ticket, ts, kind="csat", score=rating)]


def _changes(conversation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``changed_attributes`` (a list of one-key objects, or one object) as one dict."""
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
    for key in ("updated_at", "timestamp", "last_activity_at", "created_at"):
        if conversation.get(key) is not None:
            return rfc3339(conversation[key])
    raise PayloadError("Chatwoot conversation has no updated_at or timestamp")


def _status(ticket: str, conversation: dict[str, Any]) -> list[Event]:
    status = conversation.get("status")
    previous = _changes(conversation).get("status", {}).get("previous_value")
    ts = _when(conversation)
    event_id = stable_id(ticket, "status", status, ts)
    if status == "resolved":
        return [event("ticket.resolved", event_id, ticket, ts)]
    if status == "pending":
        return [event("ticket.status", event_id, ticket, ts, status="pending")]
    if status == "snoozed":
        return [event("ticket.status", event_id, ticket, ts, status="on_hold")]
    if status == "open":
        if previous == "resolved":
            return [event("ticket.reopened", event_id, ticket, ts)]
        return [event("ticket.status", event_id, ticket, ts, status="open")]
    raise PayloadError(f"Chatwoot status {status!r} is not open/pending/snoozed/resolved")


def _updated(ticket: str, conversation: dict[str, Any], config: ConnectorConfig) -> list[Event]:
    changes = _changes(conversation)
    meta = obj(conversation, "meta")
    ts = _when(conversation)
    found: list[Event] = []
    if "team_id" in changes:
        change = changes["team_id"]
        team = obj(meta, "team")
        current = change.get("current_value", team.get("id"))
        to_team = team_name(config, "chatwoot", "team", current, team.get("name"))
        from_team = team_name(config, "chatwoot", "team", change.get("previous_value"), None)
        if from_team != to_team:
            event_id = stable_id(ticket, "team", current, ts)
            found.append(
                event(
                    "ticket.transferred", event_id, ticket, ts, from_team=from_team, to_team=to_team
                )
            )
    if "assignee_id" in changes:
        assignee = obj(meta, "assignee")
        agent = changes["assignee_id"].get("current_value", assignee.get("id"))
        if agent is not None:
            event_id = stable_id(ticket, "assignee", agent, ts)
            found.append(
                event("ticket.assigned", event_id, ticket, ts, agent_id=f"chatwoot:{agent}")
            )
    return found
