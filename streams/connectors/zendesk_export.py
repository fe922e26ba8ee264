"""A Zendesk incremental ticket-event export -> contract events (for ``servicepulse import``).

Input: the JSON of ``GET /api/v2/incremental/ticket_events.json?include=comment_events``
(pages concatenated as a JSON array of pages, or one page), each page with
``ticket_events``: an audit (``ticket_id``, ``created_at`` / ``timestamp``,
``updater_id``, ``via``) and its ``child_events``, each with an ``event_type``
and the changed field as a key (``"status": "open"``, ``"previous_value": "new"``).

=====================================  ==============================================
child event                            contract event
=====================================  ==============================================
Create (``status`` among the fields)   ticket.created (group_id, priority, requester,
                                       via from the audit's Create children)
Change ``status``                      as the webhook: pending, hold, solved, closed,
                                       open (reopened after solved)
Change ``group_id``                    ticket.transferred
Change ``assignee_id``                 ticket.assigned
Comment (``author_id``, ``public``)    requester -> message.customer, anyone else ->
                                       message.agent (``public: false`` if private)
Change ``satisfaction_score``          good/bad -> survey.response csat 5 / 1
=====================================  ==============================================

Event ids are ``zendesk:<ticket>:export:<child id>`` (the creation keeps the
webhook's ``zendesk:<ticket>:created``), so importing the same export twice,
or an export that overlaps live webhooks for creations, counts nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterator
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
from streams.connectors.zendesk import RATINGS, channel

STATUSES = {"pending": "pending", "hold": "on_hold"}


def _audits(document: Any) -> list[dict[str, Any]]:
    pages = document if isinstance(document, list) else [document]
    audits: list[dict[str, Any]] = []
    for page in pages:
        if not isinstance(page, dict) or not isinstance(page.get("ticket_events"), list):
            raise PayloadError("not a Zendesk ticket-event export: no 'ticket_events' list")
        audits.extend(item for item in page["ticket_events"] if isinstance(item, dict))
    return sorted(audits, key=lambda a: (a.get("timestamp") or 0, a.get("id") or 0))


def convert(document: Any, config: ConnectorConfig = DEFAULT_CONFIG) -> Iterator[Event]:
    """The contract events of an export, in event-time order of the audits."""
    requesters: dict[str, str] = {}
    groups: dict[str, Any] = {}
    for audit in _audits(document):
        if audit.get("ticket_id") is None:
            continue
        number = str(audit["ticket_id"])
        ticket = stable_id("zendesk", number)
        when = audit.get("created_at") or audit.get("timestamp")
        if when is None:
            continue
        ts = rfc3339(when)
        children = [c for c in audit.get("child_events") or () if isinstance(c, dict)]
        creates = {
            key: value
            for child in children
            if child.get("event_type") == "Create"
            for key, value in child.items()
        }
        if "status" in creates:
            requester = creates.get("requester_id") or audit.get("updater_id")
            requesters[number] = str(requester)
            groups[number] = creates.get("group_id")
            yield event(
                "ticket.created",
                f"{ticket}:created",
                ticket,
                ts,
                team=team_name(config, "zendesk", "group", creates.get("group_id"), None),
                channel=channel(audit.get("via") or creates.get("via")),
                priority=priority(creates.get("priority")),
                customer_id=f"zendesk:{requester}" if requester is not None else "zendesk:unknown",
            )
        for child in children:
            yield from _child(ticket, number, ts, audit, child, requesters, groups, config)


def _child(
    ticket: str,
    number: str,
    ts: str,
    audit: dict[str, Any],
    child: dict[str, Any],
    requesters: dict[str, str],
    groups: dict[str, Any],
    config: ConnectorConfig,
) -> Iterator[Event]:
    kind = child.get("event_type")
    event_id = stable_id(ticket, "export", child.get("id"))
    if kind == "Comment":
        author = str(child.get("author_id") or audit.get("updater_id"))
        if author == requesters.get(number):
            yield event("message.customer", event_id, ticket, ts)
        else:
            public = False if child.get("public") is False else None
            yield event(
                "message.agent", event_id, ticket, ts, agent_id=f"zendesk:{author}", public=public
            )
        return
    if kind != "Change":
        return
    if "status" in child:
        status = str(child["status"]).lower()
        previous = str(child.get("previous_value") or "").lower()
        if status in STATUSES:
            yield event("ticket.status", event_id, ticket, ts, status=STATUSES[status])
        elif status == "solved":
            yield event("ticket.resolved", event_id, ticket, ts)
        elif status in ("closed", "deleted"):
            yield event("ticket.closed", event_id, ticket, ts)
        elif status == "open":
            if previous == "solved":
                yield event("ticket.reopened", event_id, ticket, ts)
            else:
                yield event("ticket.status", event_id, ticket, ts, status="open")
    elif "group_id" in child:
        earlier = child.get("previous_value", groups.get(number))
        groups[number] = child["group_id"]
        from_team = team_name(config, "zendesk", "group", earlier, None)
        to_team = team_name(config, "zendesk", "group", child["group_id"], None)
        if from_team != to_team:
            yield event(
                "ticket.transferred", event_id, ticket, ts, from_team=from_team, to_team=to_team
            )
    elif "assignee_id" in child and child["assignee_id"] is not None:
        yield event(
            "ticket.assigned", event_id, ticket, ts, agent_id=f"zendesk:{child['assignee_id']}"
        )
    elif "satisfaction_score" in child:
        score = RATINGS.get(str(child["satisfaction_score"]).lower())
        if score is not None:
            yield event("survey.response", event_id, ticket, ts, kind="csat", score=score)
