"""The read endpoints of contract section 5, for ``serve``: the ledger over HTTP.

    GET /v1/outcomes?team=&target=&outcome=&agent=&from=&to=&kind=&format=csv|json&limit=
    GET /v1/tickets/{ticket_id}

Both need a token admitting ``READ`` (``--read-token`` or the write token): 401 without.
A bad parameter is a one-line 400. Before reading, the ledger writes what waits, so a
reader sees every fact the engine has counted; the query runs in a thread on a connection
of its own, the event loop keeps serving.

The journey of a ticket is its ledger rows of every kind and, while the engine still holds
the ticket, its live state: team, state, policy and each running clock with its deadline.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import orjson
from aiohttp import web

from streams.core.engine import Engine
from streams.core.ticket import ORPHAN, Ticket
from streams.core.vocabulary import TARGETS
from streams.errors import UserError
from streams.ingest_http.app import READ, authorise
from streams.ledger.output import FORMATS, check_ticket_url, instant, render, row_objects
from streams.ledger.query import Filter, parse_filter
from streams.ledger.schema import BY_KIND, KINDS
from streams.ledger.sink import Ledger
from streams.ledger.store import open_store

DEFAULT_LIMIT = 10_000  # rows of one GET /v1/outcomes unless ``limit=`` says otherwise
MAX_LIMIT = 1_000_000
JOURNEY_LIMIT = 10_000  # rows of each kind in one ticket's journey
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _bad(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=reason.replace("\n", " ")[:300] + "\n")


def _limit(text: str | None) -> int:
    if not text:
        return DEFAULT_LIMIT
    if not text.isdigit() or not 0 < int(text) <= MAX_LIMIT:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def add_read_routes(app: web.Application, ledger: Ledger, target: str, engine: Engine) -> None:
    """Add both read endpoints to ``app``: ``ledger`` is serve's writer, ``target`` where it
    writes (a path or URL a reader opens), ``engine`` the live tickets."""

    async def select(queries: list[Filter]) -> list[list[tuple[Any, ...]]]:
        ledger.flush()

        def read() -> list[list[tuple[Any, ...]]]:
            store = open_store(target, create=False)
            try:
                return [store.select(query) for query in queries]
            finally:
                store.close()

        try:
            return await asyncio.to_thread(read)
        except UserError as exc:
            raise web.HTTPServiceUnavailable(text=f"{exc}\n") from None

    async def outcomes(request: web.Request) -> web.StreamResponse:
        authorise(request, READ)
        params = request.query
        fmt = params.get("format") or "json"
        try:
            if fmt not in FORMATS:
                raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
            query = parse_filter(
                kind=params.get("kind"),
                team=params.get("team"),
                target=params.get("target"),
                outcome=params.get("outcome"),
                agent=params.get("agent"),
                since=params.get("from"),
                until=params.get("to"),
                ticket_id=params.get("ticket_id"),
                limit=_limit(params.get("limit")),
            )
            template = params.get("ticket_url")
            if template is not None:
                check_ticket_url(template)
        except ValueError as exc:
            raise _bad(str(exc)) from None
        (rows,) = await select([query])
        body = "".join(render(query.table, rows, fmt, template))
        return web.Response(body=body.encode(), headers={"Content-Type": CONTENT_TYPES[fmt]})

    async def ticket(request: web.Request) -> web.StreamResponse:
        authorise(request, READ)
        ticket_id = request.match_info["ticket_id"]
        queries = [Filter(kind, ticket_id=ticket_id, limit=JOURNEY_LIMIT) for kind in KINDS]
        found = await select(queries)
        live = engine.tickets.get(ticket_id)
        if live is not None and live.state == ORPHAN:
            live = None  # only events waiting for its ticket.created
        if live is None and not any(found):
            raise web.HTTPNotFound(text=f"no ticket {ticket_id[:80]!r} in the ledger or engine\n")
        journey: dict[str, Any] = {
            "ticket_id": ticket_id,
            "live": None if live is None else live_state(live, engine.now),
        }
        for kind, rows in zip(KINDS, found, strict=True):
            journey[f"{kind}s"] = list(row_objects(BY_KIND[kind], rows))
        return web.Response(body=orjson.dumps(journey), content_type="application/json")

    app.router.add_get("/v1/outcomes", outcomes)
    app.router.add_get("/v1/tickets/{ticket_id}", ticket)


def _when(ts: float | None) -> str | None:
    return None if ts is None or not math.isfinite(ts) else instant(ts)


def live_state(ticket: Ticket, now: float) -> dict[str, Any]:
    """What the engine knows of a ticket now: fields, state and its SLA clocks."""
    calendar = ticket.policy.calendar
    clocks = []
    for target, clock in zip(TARGETS, ticket.clocks, strict=True):
        if clock is None:
            continue
        clocks.append(
            {
                "target": target,
                "running": clock.running,
                "breached": bool(clock.breached),
                "target_seconds": clock.target,
                "elapsed_seconds": round(clock.value(max(now, clock.since), calendar), 3),
                "deadline": _when(clock.deadline) if clock.running else None,
            }
        )
    return {
        "team": ticket.team,
        "state": ticket.state,
        "paused": ticket.paused,
        "channel": ticket.channel,
        "priority": ticket.priority,
        "customer_tier": ticket.customer_tier,
        "category": ticket.category,
        "policy": ticket.policy.name,
        "created": _when(ticket.created_ts),
        "clocks": clocks,
    }
