"""Zammad trigger webhooks -> contract events.

Zammad posts ``{"ticket": {...}, "article": {...}}`` (the default payload) for
the trigger named in ``X-Zammad-Trigger``. Zammad sends no previous values,
so the trigger says what happened: one trigger per kind, its name containing
one of the words below (docs/ingestion.md shows the trigger set-up). A name
with none of them makes the connector state what the payload shows (the
article, and the state unless ``new``).

=================  ==============================================================
trigger word       events
=================  ==============================================================
``created``        ticket.created
``article``        Customer article -> message.customer; Agent article ->
                   message.agent (``public: false`` when internal); System: none
``state``          pending reminder/pending close -> ticket.status pending;
                   closed -> ticket.resolved; merged/removed -> ticket.closed;
                   open -> ticket.status open, and ticket.reopened once per
                   close (``last_close_at``) when it had been closed
``group``          ticket.transferred to the ticket's group (``from_team``
                   ``unknown``: Zammad does not send the previous group)
=================  ==============================================================

Every payload also asserts the ticket's creation (id ``zammad:<id>:created``).
Event ids come from Zammad's ids and ``updated_at``, not from the random
``X-Zammad-Delivery``, so a retried delivery repeats the same ids.
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
    priority,
    require,
    rfc3339,
    stable_id,
    team_name,
)

TRIGGER_WORDS = ("created", "article", "state", "group")
CHANNELS = {
    "phone": "phone",
    "email": "email",
    "web": "web",
    "chat": "chat",
    "sms": "chat",
    "note": "web",
    "twitter status": "social",
    "twitter direct-message": "social",
    "facebook feed post": "social",
    "telegram personal-message": "social",
    "whatsapp message": "social",
}
PENDING = ("pending reminder", "pending close")
FINAL = ("merged", "removed")


def trigger_kinds(trigger: str | None) -> tuple[str, ...]:
    """The kinds a trigger name announces; none when it names no known word."""
    name = (trigger or "").lower()
    return tuple(word for word in TRIGGER_WORDS if word in name)


def translate(
    payload: Any, trigger: str | None = None, config: ConnectorConfig = DEFAULT_CONFIG
) -> list[Event]:
    """One Zammad webhook (payload, X-Zammad-Trigger) -> its contract events."""
    if not isinstance(payload, dict) or not isinstance(payload.get("ticket"), dict):
        raise PayloadError("not a Zammad webhook: no 'ticket' object")
    ticket = payload["ticket"]
    ticket_id = stable_id("zammad", ident(require(ticket, "id", "ticket"), "ticket.id"))
    article = payload.get("article") if isinstance(payload.get("article"), dict) else None
    kinds = trigger_kinds(trigger)
    inferred = not kinds
    found: list[Event] = []
    if ("article" in kinds or inferred) and article:
        found += _article(ticket_id, article)
    if "state" in kinds or (inferred and _state_name(ticket) != "new"):
        found += _state(ticket_id, ticket)
    if "group" in kinds:
        found += _group(ticket_id, ticket, config)
    return [_created(ticket_id, ticket, config), *found]


def _name(value: Any) -> str | None:
    """Zammad expands references either as a name string or as an object with a name."""
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) and value else None


def _state_name(ticket: dict[str, Any]) -> str:
    return (_name(ticket.get("state")) or "").lower()


def _created(ticket_id: str, ticket: dict[str, Any], config: ConnectorConfig) -> Event:
    customer = ticket.get("customer_id")
    if customer is None and isinstance(ticket.get("customer"), dict):
        customer = ticket["customer"].get("id")
    vip = isinstance(ticket.get("customer"), dict) and ticket["customer"].get("vip") is True
    return event(
        "ticket.created",
        f"{ticket_id}:created",
        ticket_id,
        rfc3339(require(ticket, "created_at", "ticket")),
        team=team_name(
            config, "zammad", "group", ticket.get("group_id"), _name(ticket.get("group"))
        ),
        channel=CHANNELS.get(str(ticket.get("create_article_type") or "").lower(), "web"),
        priority=priority(_name(ticket.get("priority"))),
        customer_id=f"zammad:{customer}" if customer is not None else "zammad:unknown",
        customer_tier="vip" if vip else None,
    )


def _article(ticket_id: str, article: dict[str, Any]) -> list[Event]:
    article_id = ident(require(article, "id", "article"), "article.id")
    sender = (_name(article.get("sender")) or "").lower()
    ts = rfc3339(require(article, "created_at", "article"))
    event_id = stable_id(ticket_id, "article", article_id)
    if sender == "customer":
        return [event("message.customer", event_id, ticket_id, ts)]
    if sender != "agent":
        return []  # System articles (auto-replies, notifications) are no one's reply
    author = article.get("created_by_id")
    if author is None and isinstance(article.get("created_by"), dict):
        author = article["created_by"].get("id")
    agent = f"zammad:{author}" if author is not None else "zammad:unknown"
    public = False if article.get("internal") is True else None
    return [event("message.agent", event_id, ticket_id, ts, agent_id=agent, public=public)]


def _state(ticket_id: str, ticket: dict[str, Any]) -> list[Event]:
    state = _state_name(ticket)
    updated = rfc3339(require(ticket, "updated_at", "ticket"))
    if state in PENDING:
        event_id = stable_id(ticket_id, "state", "pending", updated)
        return [event("ticket.status", event_id, ticket_id, updated, status="pending")]
    if state == "closed":
        closed = ticket.get("last_close_at") or ticket.get("close_at") or ticket["updated_at"]
        ts = rfc3339(closed)
        return [event("ticket.resolved", stable_id(ticket_id, "closed", ts), ticket_id, ts)]
    if state in FINAL:
        return [event("ticket.closed", stable_id(ticket_id, state), ticket_id, updated)]
    if state in ("open", "new"):
        found = []
        last_close = ticket.get("last_close_at") or ticket.get("close_at")
        if last_close is not None and state == "open":
            closed = rfc3339(last_close)
            reopen_id = stable_id(ticket_id, "reopened", closed)
            found.append(event("ticket.reopened", reopen_id, ticket_id, updated))
        event_id = stable_id(ticket_id, "state", "open", updated)
        found.append(event("ticket.status", event_id, ticket_id, updated, status="open"))
        return found
    raise PayloadError(f"Zammad state {state!r} is not new/open/pending/closed/merged")


def _group(ticket_id: str, ticket: dict[str, Any], config: ConnectorConfig) -> list[Event]:
    group = ticket.get("group_id")
    to_team = team_name(config, "zammad", "group", group, _name(ticket.get("group")))
    updated = rfc3339(require(ticket, "updated_at", "ticket"))
    event_id = stable_id(ticket_id, "group", group if group is not None else to_team, updated)
    return [
        event(
            "ticket.transferred",
            event_id,
            ticket_id,
            updated,
            from_team="unknown",
            to_team=to_team,
        )
    ]
