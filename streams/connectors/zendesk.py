"""Zendesk webhooks -> contract events.

Two shapes arrive on ``/v1/webhooks/zendesk``:

* a **ticket event** of a webhook subscribed to Zendesk events
  (``"type": "zen:event-type:ticket.*"``, the ticket in ``detail``, the change in
  ``event``, a unique ``id`` per event that a retry repeats);
* the JSON body of a **trigger** for the satisfaction rating (Zendesk sends no
  rating event): ``{"ticket": {...}, "satisfaction": "{{satisfaction.current_rating}}"}``,
  the template in docs/ingestion.md.

=========================================  =========================================
ticket.created                             ticket.created
ticket.comment_added, author not staff     message.customer
ticket.comment_added, staff, public        message.agent
ticket.comment_added, staff, private       message.agent ``public: false``
ticket.status_changed                      PENDING -> ticket.status pending, HOLD ->
                                           on_hold, SOLVED -> ticket.resolved, CLOSED
                                           or DELETED -> ticket.closed, OPEN after
                                           SOLVED -> ticket.reopened, OPEN otherwise ->
                                           ticket.status open
ticket.group_assignment_changed            ticket.transferred
ticket.agent_assignment_changed            ticket.assigned
trigger body, rating good / bad            survey.response csat 5 / 1
=========================================  =========================================

Zendesk rates *good* or *bad*; the contract's CSAT is 1-5 and counts 4-5 as
satisfied, so good = 5 and bad = 1: the CSAT share equals Zendesk's own
satisfaction score. Groups are teams, named ``group-<id>`` unless mapped.
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
    require,
    rfc3339,
    stable_id,
    team_name,
)

PREFIX = "zen:event-type:ticket."
RATINGS = {"good": 5, "bad": 1}
CHANNELS = {
    "web": "web",
    "web_form": "web",
    "web_widget": "web",
    "api": "web",
    "web_service": "web",
    "email": "email",
    "mail": "email",
    "chat": "chat",
    "chat_transcript": "chat",
    "native_messaging": "chat",
    "messaging": "chat",
    "sms": "chat",
    "voice": "phone",
    "phone": "phone",
    "phone_call_inbound": "phone",
    "twitter": "social",
    "facebook": "social",
    "instagram_dm": "social",
    "whatsapp": "social",
}


def channel(value: Any) -> str:
    text = str(value or "").strip().lower().replace(" ", "_")
    return CHANNELS.get(text, "web")


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


def _created(ticket_id: str, ticket: dict[str, Any], config: ConnectorConfig) -> Event:
    via = ticket.get("via")
    via_channel = via.get("channel") if isinstance(via, dict) else via
    requester = ticket.get("requester_id")
    return event(
        "ticket.created",
        f"{ticket_id}:created",
        ticket_id,
        rfc3339(require(ticket, "created_at", "ticket")),
        team=team_name(config, "zendesk", "group", ticket.get("group_id"), ticket.get("group")),
        channel=channel(via_channel),
        priority=priority(ticket.get("priority")),
        customer_id=f"zendesk:{requester}" if requester not in (None, "") else "zendesk:unknown",
    )


def _ticket_event(kind: str, payload: dict[str, Any], config: ConnectorConfig) -> list[Event]:
    detail = payload.get("detail")
    ticket_id = _ticket_id(detail)
    assert isinstance(detail, dict)  # _ticket_id checked it
    created = _created(ticket_id, detail, config)
    if kind == "created":
        return [created]
    change = obj(payload, "event")
    ts = rfc3339(require(payload, "time", "event"))
    event_id = stable_id(ticket_id, ident(require(payload, "id", "event"), "event id"))
    found: list[Event] = []
    if kind == "comment_added":
        found = _comment(ticket_id, event_id, ts, change.get("comment"))
    elif kind == "status_changed":
        found = _status(ticket_id, event_id, ts, change)
    elif kind == "group_assignment_changed":
        previous, current = _ref(change.get("previous")), _ref(change.get("current"))
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
        if agent is not None:
            found = [event("ticket.assigned", event_id, ticket_id, ts, agent_id=f"zendesk:{agent}")]
    return [created, *found] if found else []


def _ref(value: Any) -> Any:
    """Zendesk sends a changed reference as ``{"id": ...}`` or as the bare id."""
    return value.get("id") if isinstance(value, dict) else value


def _comment(ticket_id: str, event_id: str, ts: str, comment: Any) -> list[Event]:
    if not isinstance(comment, dict):
        raise PayloadError("Zendesk comment_added without event.comment")
    author = obj(comment, "author")
    if author.get("is_staff") is not True:
        return [event("message.customer", event_id, ticket_id, ts)]
    agent = f"zendesk:{author.get('id')}" if author.get("id") is not None else "zendesk:unknown"
    public = False if comment.get("is_public") is False else None
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
    if current in ("CLOSED", "DELETED"):
        return [event("ticket.closed", event_id, ticket_id, ts)]
    if current == "OPEN":
        if previous == "SOLVED":
            return [event("ticket.reopened", event_id, ticket_id, ts)]
        return [event("ticket.status", event_id, ticket_id, ts, status="open")]
    if current == "NEW":
        return []
    raise PayloadError(f"Zendesk status {current!r} is not new/open/pending/hold/solved/closed")


def _satisfaction(payload: dict[str, Any], config: ConnectorConfig) -> list[Event]:
    ticket = payload["ticket"]
    ticket_id = _ticket_id(ticket)
    rating = str(payload.get("satisfaction") or "").strip().lower()
    if rating not in RATINGS:
        return []  # "offered", "unoffered": no answer yet
    ts = rfc3339(require(ticket, "updated_at", "ticket"))
    answer = event(
        "survey.response", f"{ticket_id}:csat", ticket_id, ts, kind="csat", score=RATINGS[rating]
    )
    return [_created(ticket_id, ticket, config), answer]
