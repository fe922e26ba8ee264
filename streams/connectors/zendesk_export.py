"""A Zendesk incremental ticket-event export -> contract events (for ``servicepulse import``).

Input: the JSON of ``GET /api/v2/incremental/ticket_events.json?include=comment_events``
(pages as a JSON array of pages, or one page), each page with
``ticket_events``: an audit (``id``, ``ticket_id``, ``timestamp`` / ``created_at``,
``updater_id``, ``via``) and its ``child_events``, each with an ``event_type``
and the changed field as a key (``"status": "open"``, ``"previous_value": "new"``).
Pages of ``GET /api/v2/incremental/users.json`` (``users`` with ``id`` and
``role``) may be added: they say who is an agent.

=====================================  ==============================================
child event                            contract event
=====================================  ==============================================
Create (``status`` among the fields)   ticket.created (group_id, priority, type,
                                       requester, via of the audit)
first audit of a ticket created        ticket.created asserted at that audit, from the
before the export's start              values the export shows (previous values first)
Change ``status``                      as the webhook: pending, hold, solved, open
                                       (reopened after solved); closed, deleted,
                                       archived, scrubbed -> ticket.closed
Change ``priority`` / ``type``         ticket.updated priority / category
Change ``group_id``                    ticket.transferred
Change ``assignee_id``                 ticket.assigned
Comment (``author_id``, ``public``)    an agent's -> message.agent (``public: false``
                                       if private), anyone else's (requester, CC'd
                                       end users) -> message.customer; the comment
                                       of the creating audit is never a reply
Change ``satisfaction_score``,         good / bad -> survey.response csat 5 / 1
SatisfactionRating ``score``
=====================================  ==============================================

Who is an agent: the ``role`` of a users page when given (agent, admin); else
anyone the export shows as an assignee, or as the updater of an audit that
changes the group, the assignee or puts the ticket on pending/hold (end users
cannot). Everyone else is on the customer's side.

Event ids are ``zendesk:<ticket>:export:<child id>`` (``<audit id>.<n>`` for a
child without one); the creation, the ending and the rating keep the
webhook's ``:created``, ``:closed`` and ``:csat``, so importing the same
export twice, or one that overlaps live webhooks, counts nothing twice. An
audit that cannot be read is skipped and counted in ``skipped`` by reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from streams.connectors.common import (
    DEFAULT_CONFIG,
    ConnectorConfig,
    Event,
    PayloadError,
    event,
    priority,
    rfc3339,
    stable_id,
    team_name,
)
from streams.connectors.zendesk import category, channel, rating

STATUSES = {"pending": "pending", "hold": "on_hold"}
ENDED = ("closed", "deleted", "archived", "scrubbed")
AGENT_ROLES = ("agent", "admin")
NO_USER = ("", "-1", "None")


@dataclass
class Known:
    """What the export has shown of one ticket so far."""

    created: bool = False
    requester: str | None = None
    group: Any = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Audit:
    """One readable audit: its ticket, time and children."""

    ticket: str
    ts: str
    key: tuple[float, int, str]
    data: dict[str, Any]
    children: list[dict[str, Any]]


def _id(value: Any) -> str | None:
    """A product id (int or non-empty string) as text, else None."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return text if text and len(text) <= 64 else None


def _read(item: Any, skipped: Counter[str]) -> Audit | None:
    if not isinstance(item, dict):
        skipped["audit_not_object"] += 1
        return None
    number = _id(item.get("ticket_id"))
    if number is None:
        skipped["no_ticket_id"] += 1
        return None
    try:
        ts = rfc3339(item.get("created_at") or item.get("timestamp"))
    except PayloadError:
        skipped["bad_timestamp"] += 1
        return None
    children = item.get("child_events")
    if children is None:
        children = []
    if not isinstance(children, list):
        skipped["bad_child_events"] += 1
        return None
    kept = [child for child in children if isinstance(child, dict)]
    if len(kept) < len(children):
        skipped["child_not_object"] += len(children) - len(kept)
    audit_id = _id(item.get("id")) or ""
    key = (datetime.fromisoformat(ts).timestamp(), len(audit_id), audit_id)
    return Audit(number, ts, key, item, kept)


def _pages(document: Any, skipped: Counter[str]) -> tuple[list[Audit], dict[str, str]]:
    """The readable audits in time order, and the users' roles of users pages."""
    pages = document if isinstance(document, list) else [document]
    audits: list[Audit] = []
    roles: dict[str, str] = {}
    for page in pages:
        events = page.get("ticket_events") if isinstance(page, dict) else None
        users = page.get("users") if isinstance(page, dict) else None
        if not isinstance(events, list) and not isinstance(users, list):
            raise PayloadError("not a Zendesk ticket-event export: no 'ticket_events' list")
        for user in users if isinstance(users, list) else ():
            user_id = _id(user.get("id")) if isinstance(user, dict) else None
            if user_id is not None and isinstance(user.get("role"), str):
                roles[user_id] = user["role"].strip().lower()
        for item in events if isinstance(events, list) else ():
            audit = _read(item, skipped)
            if audit is not None:
                audits.append(audit)
    audits.sort(key=lambda audit: audit.key)
    return audits, roles


def _agents(audits: list[Audit]) -> set[str]:
    """Users the export shows doing what only agents do (see the module docstring)."""
    agents: set[str] = set()
    for audit in audits:
        for child in audit.children:
            if child.get("event_type") not in ("Create", "Change"):
                continue
            if "assignee_id" in child:
                agents.update(
                    _id(child.get(key)) or "" for key in ("assignee_id", "previous_value")
                )
            agent_change = "group_id" in child or "assignee_id" in child
            if agent_change or str(child.get("status", "")).lower() in STATUSES:
                agents.add(_id(audit.data.get("updater_id")) or "")
    return agents - set(NO_USER)


def convert(
    document: Any, config: ConnectorConfig = DEFAULT_CONFIG, skipped: Counter[str] | None = None
) -> Iterator[Event]:
    """The contract events of an export, in event-time order of the audits.

    A document that is not an export is a PayloadError; an unreadable audit or
    child is skipped and counted in ``skipped`` (by reason).
    """
    skipped = skipped if skipped is not None else Counter()
    audits, roles = _pages(document, skipped)
    inferred = _agents(audits)

    def is_agent(user: str) -> bool:
        if user in roles:
            return roles[user] in AGENT_ROLES
        return user in inferred

    tickets: dict[str, Known] = {}
    for audit in audits:
        known = tickets.setdefault(audit.ticket, Known())
        yield from _audit(audit, known, is_agent, config, skipped)


def _audit(
    audit: Audit,
    known: Known,
    is_agent: Callable[[str], bool],
    config: ConnectorConfig,
    skipped: Counter[str],
) -> Iterator[Event]:
    ticket = stable_id("zendesk", audit.ticket)
    creates: dict[str, Any] = {}
    for child in audit.children:
        if child.get("event_type") == "Create":
            creates.update(child)
    creating = "status" in creates and not known.created
    if creating:
        known.fields.update(creates)
        known.requester = _id(creates.get("requester_id")) or _id(audit.data.get("updater_id"))
    if not known.created:
        yield _creation(ticket, audit, known, config)
        known.created = True
    for index, child in enumerate(audit.children):
        base = _id(audit.data.get("id")) or f"t{audit.key[0]:.0f}"
        child_id = _id(child.get("id")) or f"{base}.{index}"
        event_id = stable_id(ticket, "export", child_id)
        kind = child.get("event_type")
        if kind == "Comment":
            yield from _comment(ticket, event_id, audit, child, is_agent, creating)
        elif kind == "Change":
            yield from _change(ticket, event_id, audit.ts, child, known, config, skipped)
        elif kind == "SatisfactionRating":
            yield from _rating(ticket, audit.ts, child.get("score"), skipped)


def _creation(ticket: str, audit: Audit, known: Known, config: ConnectorConfig) -> Event:
    """``ticket.created`` from the Create children, or asserted from the first audit seen.

    A ticket created before the export's start shows up first with a Change: its
    previous values are what the ticket was before, the current ones otherwise.
    """
    fields = dict(known.fields)
    for child in audit.children if not fields else ():
        if child.get("event_type") != "Change":
            continue
        for name in ("group_id", "priority", "type", "requester_id"):
            if name in child and name not in fields:
                fields[name] = child.get("previous_value", child.get(name))
    known.fields = fields
    known.group = fields.get("group_id")
    if known.requester is None:
        known.requester = _id(fields.get("requester_id"))
    kind = fields.get("type")
    return event(
        "ticket.created",
        f"{ticket}:created",
        ticket,
        audit.ts,
        team=team_name(config, "zendesk", "group", known.group, None),
        channel=channel(audit.data.get("via") or fields.get("via")),
        priority=priority(fields.get("priority")),
        customer_id=f"zendesk:{known.requester}" if known.requester else "zendesk:unknown",
        category=category(kind) if isinstance(kind, str) else None,
    )


def _comment(
    ticket: str,
    event_id: str,
    audit: Audit,
    child: dict[str, Any],
    is_agent: Callable[[str], bool],
    first: bool,
) -> Iterator[Event]:
    author = _id(child.get("author_id")) or _id(audit.data.get("updater_id")) or "unknown"
    if not is_agent(author):
        if not first:  # the requester's description opens the ticket, it is no reply
            yield event("message.customer", event_id, ticket, audit.ts)
        return
    public = False if first or child.get("public") is False else None
    yield event(
        "message.agent", event_id, ticket, audit.ts, agent_id=f"zendesk:{author}", public=public
    )


def _change(
    ticket: str,
    event_id: str,
    ts: str,
    child: dict[str, Any],
    known: Known,
    config: ConnectorConfig,
    skipped: Counter[str],
) -> Iterator[Event]:
    if "status" in child:
        yield from _status(ticket, event_id, ts, child)
    elif "group_id" in child:
        earlier = child.get("previous_value", known.group)
        known.group = child["group_id"]
        from_team = team_name(config, "zendesk", "group", earlier, None)
        to_team = team_name(config, "zendesk", "group", child["group_id"], None)
        if from_team != to_team:
            yield event(
                "ticket.transferred", event_id, ticket, ts, from_team=from_team, to_team=to_team
            )
    elif "assignee_id" in child:
        agent = _id(child["assignee_id"])
        if agent is not None:
            yield event("ticket.assigned", event_id, ticket, ts, agent_id=f"zendesk:{agent}")
    elif "priority" in child and child["priority"] not in (None, ""):
        yield event("ticket.updated", event_id, ticket, ts, priority=priority(child["priority"]))
    elif "type" in child and category(child["type"]) is not None:
        yield event("ticket.updated", event_id, ticket, ts, category=category(child["type"]))
    elif "satisfaction_score" in child:
        yield from _rating(ticket, ts, child["satisfaction_score"], skipped)


def _status(ticket: str, event_id: str, ts: str, child: dict[str, Any]) -> Iterator[Event]:
    status = str(child["status"]).lower()
    previous = str(child.get("previous_value") or "").lower()
    if status in STATUSES:
        yield event("ticket.status", event_id, ticket, ts, status=STATUSES[status])
    elif status == "solved":
        yield event("ticket.resolved", event_id, ticket, ts)
    elif status in ENDED:
        yield event("ticket.closed", f"{ticket}:closed", ticket, ts)
    elif status == "open":
        if previous == "solved":
            yield event("ticket.reopened", event_id, ticket, ts)
        else:
            yield event("ticket.status", event_id, ticket, ts, status="open")


def _rating(ticket: str, ts: str, value: Any, skipped: Counter[str]) -> Iterator[Event]:
    try:
        score = rating(value)
    except PayloadError:
        skipped["unknown_rating"] += 1
        return
    if score is not None:
        yield event("survey.response", f"{ticket}:csat", ticket, ts, kind="csat", score=score)
