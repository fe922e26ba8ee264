"""Zammad trigger webhooks -> contract events.

What Zammad sends (zammad/zammad; docs/ingestion.md cites file and commit): a trigger's
"Webhook" action posts ``{"ticket": {...}, "article": {...}}`` with the headers
``X-Zammad-Trigger`` (the trigger's name), ``X-Zammad-Delivery`` (the job id) and, with a
signature token, ``X-Hub-Signature``. Both records are built when the job runs, not when
the trigger fired (``TriggerWebhookJob#payload``), and carry no previous values:

* ``ticket``: every column (``group_id``, ``state_id``, ``owner_id``, ``pending_time``,
  ``last_close_at``, ``time_unit``, ``updated_at`` ...); ``state``,
  ``create_article_type`` and ``create_article_sender`` as names; ``group``,
  ``priority``, ``owner``, ``customer``, ``organization``, ``created_by`` and
  ``updated_by`` as the whole record (``{}`` when there is none). Not the state's type.
* ``article``: the article the transaction created (``{}`` when none): its columns,
  ``type`` and ``sender`` as names, ``internal``, ``created_by_id`` and
  ``accounted_time``, the integer part of the time booked with it.

So the trigger's name says what happened: one trigger per kind, its name holding a word of
``TRIGGER_WORDS``; a name without any of them makes the connector state all the payload
shows (docs/ingestion.md has the table and the trigger set-up).
Event ids come from Zammad's ids and times, never from ``X-Zammad-Delivery``: a
retried delivery repeats them.
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
    priority,
    require,
    rfc3339,
    stable_id,
    team_name,
)

# trigger-name word -> kind of change; "assign" also matches "assigned", "assignment"
TRIGGER_WORDS = {
    "created": "created",
    "article": "article",
    "state": "state",
    "group": "group",
    "owner": "owner",
    "assign": "owner",
    "priority": "priority",
}
CHANNELS = {  # create_article_type (Ticket::Article::Type names) -> contract channel
    "phone": "phone",
    "email": "email",
    "fax": "email",
    "web": "web",
    "chat": "chat",
    "sms": "chat",
    "note": "web",
    "twitter status": "social",
    "twitter direct-message": "social",
    "facebook feed post": "social",
    "facebook feed comment": "social",
    "telegram personal-message": "social",
    "whatsapp message": "social",
}
SYSTEM_USER_ID = 1  # user "-": the owner of every unassigned ticket (db/seeds/user_nr_1.rb)
NOT_COMMUNICATION = ("note",)  # article types with communication: false: no one's reply

# Zammad's state types (db/seeds/ticket_state_types.rb) and its default states' types
STATE_TYPES = (
    "new",
    "open",
    "pending reminder",
    "pending action",
    "closed",
    "merged",
    "removed",
)
DEFAULT_STATES = {
    "new": "new",
    "open": "open",
    "pending reminder": "pending reminder",
    "pending close": "pending action",
    "closed": "closed",
    "merged": "merged",
    "removed": "removed",
}
SEEDED_STATE_IDS = {  # db/seeds/ticket_states.rb: a renamed default state keeps its id
    1: "new",
    2: "open",
    3: "pending reminder",
    4: "closed",
    5: "merged",
    6: "removed",
    7: "pending action",
}
PENDING = ("pending reminder", "pending action")
FINAL = ("merged", "removed")
# a close sets last_close_at in the same save that sets updated_at (Ticket::SetsCloseTime)
CLOSE_WINDOW_SECONDS = 2.0
_DECLARED_STATE = re.compile(r"state\s*[:=]\s*(" + "|".join(STATE_TYPES) + r")\b")

# Time accounting counts in the unit the admin chose (Settings > Time Accounting: minute,
# quarter, hour, or none/custom); ServicePulse reads it as minutes unless told otherwise.
TIME_UNIT_SECONDS = {"minute": 60.0, "quarter": 900.0, "hour": 3600.0}
SECONDS_PER_TIME_UNIT = TIME_UNIT_SECONDS["minute"]

# Zammad sends no previous group: any from_team other than to_team is a hand-off that the
# engine counts from the ticket's current team.
PREVIOUS_GROUP = "group-previous"


def trigger_kinds(trigger: str | None) -> frozenset[str]:
    """The kinds a trigger name announces; none when it names no known word."""
    name = (trigger or "").lower()
    return frozenset(kind for word, kind in TRIGGER_WORDS.items() if word in name)


def translate(
    payload: Any,
    trigger: str | None = None,
    config: ConnectorConfig = DEFAULT_CONFIG,
    *,
    seconds_per_time_unit: float = SECONDS_PER_TIME_UNIT,
) -> list[Event]:
    """One Zammad webhook (payload, X-Zammad-Trigger) -> its contract events.

    Order within a delivery: the creation, the article (written before the change it
    came with), the hand-off, the owner, the priority, the state.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("ticket"), dict):
        raise PayloadError("not a Zammad webhook: no 'ticket' object")
    ticket: dict[str, Any] = payload["ticket"]
    ticket_id = stable_id("zammad", ident(require(ticket, "id", "ticket"), "ticket.id"))
    article = payload.get("article")
    if article is not None and not isinstance(article, dict):
        raise PayloadError("article is not a JSON object")
    kinds = trigger_kinds(trigger)
    every = not kinds
    state = state_type(ticket, trigger)
    found = [_created(ticket_id, ticket, config)]
    if article and kinds != {"created"}:  # the creating article is the contact itself
        found += _article(ticket_id, article, seconds_per_time_unit)
    if every and state in FINAL:  # a merged or removed ticket takes nothing but its close
        return [*found, *_state(ticket_id, ticket, state)]
    if every or "group" in kinds:
        found += _group(ticket_id, ticket, config)
    if every or {"group", "owner"} & kinds:  # the owner after the hand-off, as Zammad has it
        found += _owner(ticket_id, ticket)
    if every or "priority" in kinds:
        found += _priority(ticket_id, ticket)
    if "state" in kinds or (every and state != "new"):
        found += _state(ticket_id, ticket, state)
    return found


def _name(value: Any) -> str | None:
    """A reference Zammad sends as a name (state) or as the whole record (group, priority)."""
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) and value else None


def _updated(ticket: dict[str, Any]) -> str:
    return rfc3339(require(ticket, "updated_at", "ticket"))


def _owner_id(ticket: dict[str, Any]) -> str | None:
    """The owning agent's id; None for an unassigned ticket (owner ``-``, id 1)."""
    owner = ticket.get("owner_id")
    if owner is None or str(owner) == str(SYSTEM_USER_ID):
        return None
    return ident(owner, "ticket.owner_id")


def state_type(ticket: dict[str, Any], trigger: str | None = None) -> str | None:
    """The type of the ticket's state, which the payload does not carry; None when unknown.

    In order: a default state's name; the type a trigger declares for the states its
    condition selects (``state:pending action`` in its name); a pending time (Zammad
    clears it on leaving a pending state: ``Ticket#reset_pending_time``); a close saved
    with this update (``last_close_at`` = ``updated_at``); a default state's id.
    """
    name = (_name(ticket.get("state")) or "").strip().lower()
    if name in DEFAULT_STATES:
        return DEFAULT_STATES[name]
    declared = _DECLARED_STATE.search((trigger or "").lower())
    if declared:
        return declared.group(1)
    if ticket.get("pending_time"):
        return "pending action"  # or reminder: both pause
    if _closed_with_this_update(ticket):
        return "closed"
    state_id = ticket.get("state_id")
    if isinstance(state_id, int) and not isinstance(state_id, bool):
        return SEEDED_STATE_IDS.get(state_id)
    return None


def _closed_with_this_update(ticket: dict[str, Any]) -> bool:
    closed, updated = ticket.get("last_close_at"), ticket.get("updated_at")
    if not closed or not updated:
        return False
    try:
        gap = _epoch(updated) - _epoch(closed)
    except PayloadError:
        return False
    return 0 <= gap < CLOSE_WINDOW_SECONDS


def _epoch(value: Any) -> float:
    return datetime.fromisoformat(rfc3339(value)).timestamp()


def _created(ticket_id: str, ticket: dict[str, Any], config: ConnectorConfig) -> Event:
    customer = ticket.get("customer_id")
    record = ticket.get("customer")
    vip = isinstance(record, dict) and record.get("vip") is True
    return event(
        "ticket.created",
        f"{ticket_id}:created",
        ticket_id,
        rfc3339(require(ticket, "created_at", "ticket")),
        team=_team(ticket, config),
        channel=CHANNELS.get(str(ticket.get("create_article_type") or "").lower(), "web"),
        priority=priority(_name(ticket.get("priority"))),
        customer_id=f"zammad:{customer}" if customer is not None else "zammad:unknown",
        customer_tier="vip" if vip else None,
    )


def _team(ticket: dict[str, Any], config: ConnectorConfig) -> str:
    """The group as a team: mapped name, else the group's name, else ``group-<id>``."""
    return team_name(config, "zammad", "group", ticket.get("group_id"), _name(ticket.get("group")))


def _article(ticket_id: str, article: dict[str, Any], unit_seconds: float) -> list[Event]:
    """Customer article -> message.customer; Agent article -> message.agent; System: none.

    As in Zammad's own first response (``first_response_at_update``), an internal
    article or a note (type without ``communication``) is no reply to the customer.
    """
    article_id = ident(require(article, "id", "article"), "article.id")
    sender = (_name(article.get("sender")) or "").lower()
    kind = (_name(article.get("type")) or "").lower()
    internal = article.get("internal") is True
    ts = rfc3339(require(article, "created_at", "article"))
    event_id = stable_id(ticket_id, "article", article_id)
    if sender == "customer":
        if internal or kind in NOT_COMMUNICATION:
            return []  # an agent's internal record of the customer: not the customer writing
        return [event("message.customer", event_id, ticket_id, ts)]
    if sender != "agent":
        return []  # System articles (auto-replies, notifications) are no one's reply
    author = article.get("created_by_id")
    agent = f"zammad:{author}" if author is not None else "zammad:unknown"
    public = False if internal or kind in NOT_COMMUNICATION else None
    work = _work_seconds(article.get("accounted_time"), unit_seconds)
    return [
        event(
            "message.agent",
            event_id,
            ticket_id,
            ts,
            agent_id=agent,
            public=public,
            work_seconds=work,
        )
    ]


def _work_seconds(accounted: Any, unit_seconds: float) -> float | None:
    """``accounted_time`` (units booked with the article, 0 when none) -> seconds."""
    if isinstance(accounted, bool) or not isinstance(accounted, int | float | str):
        return None
    try:
        units = float(accounted)
    except ValueError:
        return None
    if not 0 < units < 1e6:
        return None
    seconds = units * unit_seconds
    return int(seconds) if seconds.is_integer() else seconds


def _group(ticket_id: str, ticket: dict[str, Any], config: ConnectorConfig) -> list[Event]:
    """A hand-off to the ticket's group; Zammad sends no previous group (see PREVIOUS_GROUP)."""
    to_team = _team(ticket, config)
    group = ticket.get("group_id")
    updated = _updated(ticket)
    event_id = stable_id(ticket_id, "group", group if group is not None else to_team, updated)
    from_team = PREVIOUS_GROUP if to_team != PREVIOUS_GROUP else f"{PREVIOUS_GROUP}-1"
    return [
        event(
            "ticket.transferred",
            event_id,
            ticket_id,
            updated,
            from_team=from_team,
            to_team=to_team,
        )
    ]


def _owner(ticket_id: str, ticket: dict[str, Any]) -> list[Event]:
    owner = _owner_id(ticket)
    if owner is None:
        return []  # unassigned: the contract has no event for it
    updated = _updated(ticket)
    event_id = stable_id(ticket_id, "owner", owner, updated)
    return [event("ticket.assigned", event_id, ticket_id, updated, agent_id=f"zammad:{owner}")]


def _priority(ticket_id: str, ticket: dict[str, Any]) -> list[Event]:
    name = _name(ticket.get("priority"))
    if name is None:
        return []
    updated = _updated(ticket)
    key = ticket.get("priority_id") if ticket.get("priority_id") is not None else name
    event_id = stable_id(ticket_id, "priority", key, updated)
    return [event("ticket.updated", event_id, ticket_id, updated, priority=priority(name))]


def _state(ticket_id: str, ticket: dict[str, Any], kind: str | None) -> list[Event]:
    """The state's type -> events; an unknown state says nothing (docs/ingestion.md)."""
    if kind is None:
        return []
    updated = _updated(ticket)
    if kind in PENDING:
        event_id = stable_id(ticket_id, "state", "pending", updated)
        return [event("ticket.status", event_id, ticket_id, updated, status="pending")]
    if kind == "closed":
        ts = rfc3339(ticket.get("last_close_at") or ticket["updated_at"])
        owner = _owner_id(ticket)
        agent = f"zammad:{owner}" if owner is not None else None
        event_id = stable_id(ticket_id, "closed", ts)
        return [event("ticket.resolved", event_id, ticket_id, ts, agent_id=agent)]
    if kind in FINAL:
        return [event("ticket.closed", stable_id(ticket_id, kind), ticket_id, updated)]
    found = []  # new or open
    last_close = ticket.get("last_close_at") or ticket.get("close_at")
    if last_close:  # reopened: once per close, whichever delivery shows it first
        reopen_id = stable_id(ticket_id, "reopened", rfc3339(last_close))
        found.append(event("ticket.reopened", reopen_id, ticket_id, updated))
    event_id = stable_id(ticket_id, "state", "open", updated)
    found.append(event("ticket.status", event_id, ticket_id, updated, status="open"))
    return found
