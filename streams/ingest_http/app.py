"""The aiohttp application of contract section 5.

``make_app(store, ...)`` serves ``POST /v1/events``, ``POST /v1/webhooks/{product}``
and ``GET /health``. The store decides what "durably stored" means: ``serve``
appends to its fsynced journal, ``ingest`` waits for Kafka's acks. A request
is answered ``200`` only after ``store.append`` returned; when it raises, the
answer is ``503`` and nothing of the request is acknowledged.

Elements of ``/v1/events`` that are not contract events are reported by index
and still handed to the store with the others, so they are counted (and on
Kafka dead-lettered) as the contract asks of bad input; the engine's own
rejections (``ticket_closed``, ...) are counted where the engine runs.

Every route takes a scope of the tokens (``auth.py``); a route added by a
command (the read endpoints) calls ``authorise(request, READ)``. A budget bounds
the bodies held in memory at once; ``server.run`` serves the application with the
other limits of docs/limits.md ("HTTP").
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from aiohttp import web

from streams.connectors import chatwoot, zammad, zendesk
from streams.connectors.common import DEFAULT_CONFIG, ConnectorConfig, Event, PayloadError
from streams.ingest_http.auth import (
    READ,
    WRITE,
    Tokens,
    Unauthorized,
    check_access,
    check_signature,
    webhook_scope,
)
from streams.ingest_http.bodies import (
    BadBody,
    Record,
    TooLarge,
    answer,
    parse_events,
    parse_webhook,
    records_of,
)
from streams.ingest_http.guard import DEADLINE, GUARDS, LIMITS, Limits, deadline_middleware

log = logging.getLogger("servicepulse.ingest_http")

DEFAULT_MAX_BODY = 8 * 1024 * 1024  # bytes of one request
DEFAULT_REQUEST_TIMEOUT = 30.0  # seconds to receive one whole request (headers and body)
DEFAULT_MAX_CONNECTIONS = 512  # open connections; beyond, a new one is answered 503 and closed
DEFAULT_BODY_BUDGET = 64 * 1024 * 1024  # bytes of request bodies held in memory at once
PRODUCTS = ("chatwoot", "zammad", "zendesk")

__all__ = ["READ", "WRITE", "Ingestion", "Store", "authorise", "make_app"]


class Store(Protocol):
    """Where accepted events go; ``append`` returns once they are durable, raises otherwise."""

    async def append(self, records: list[Record]) -> None: ...

    def ready(self) -> bool: ...


@dataclass
class Ingestion:
    """What the routes need: the store, the tokens, the products' secrets, the limits."""

    store: Store
    tokens: Tokens
    secrets: Mapping[str, bytes] = field(default_factory=dict)
    connectors: ConnectorConfig = DEFAULT_CONFIG
    max_body: int = DEFAULT_MAX_BODY
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    body_budget: int = DEFAULT_BODY_BUDGET


INGESTION = web.AppKey("ingestion", Ingestion)


def _line(status: int, reason: str) -> web.Response:
    """A one-line plain-text answer (400, 401, 404, 408, 413, 503); the connection is closed,
    so that a body left unread is not read."""
    response = web.Response(status=status, text=reason.replace("\n", " ")[:300] + "\n")
    if status >= 400:
        response.force_close()
    return response


def _refusal(request: web.Request, scope: str) -> str | None:
    """Why the request's token does not admit ``scope``; None when it does."""
    ingestion = request.app[INGESTION]
    authorization = request.headers.get("Authorization")
    try:
        check_access(ingestion.tokens, scope, authorization, request.query.get("token"))
    except Unauthorized as exc:
        return str(exc)
    if not authorization and _is_write_token(ingestion, request):
        _warn_once(
            "the write token was sent in a URL (?token=) to a webhook path: give that "
            "product its own token (--webhook-token NAME=TOKEN, docs/security.md)"
        )
    return None


def authorise(request: web.Request, scope: str) -> None:
    """Raise ``401`` (one line) unless the request carries a token admitting ``scope``
    (``READ`` for the read endpoints, ``WRITE``, ``webhook_scope(product)``)."""
    reason = _refusal(request, scope)
    if reason is not None:
        raise web.HTTPUnauthorized(text=reason + "\n", headers={"Connection": "close"})


def _is_write_token(ingestion: Ingestion, request: web.Request) -> bool:
    given = request.query.get("token", "").encode(errors="replace")
    return hmac.compare_digest(given, ingestion.tokens.write.encode())


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning("%s", message)


def _translate(product: str, payload: Any, headers: Mapping[str, str], config: ConnectorConfig):
    if product == "chatwoot":
        return chatwoot.translate(payload, config)
    if product == "zammad":
        return zammad.translate(payload, headers.get("X-Zammad-Trigger"), config)
    return zendesk.translate(payload, config)


class BodyBudget:
    """At most ``capacity`` bytes of request bodies in memory at once: a request reserves its
    ``Content-Length`` (``max_body`` when it has none) before its body is read, and waits
    for room until its deadline."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._changed = asyncio.Condition()

    async def reserve(self, size: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.used + size <= self.capacity)
            self.used += size

    async def release(self, size: int) -> None:
        async with self._changed:
            self.used -= size
            self._changed.notify_all()


class Busy(Exception):
    """503: no room for the body now."""


def make_app(ingestion: Ingestion) -> web.Application:
    app = web.Application(client_max_size=ingestion.max_body, middlewares=[deadline_middleware])
    app[INGESTION] = ingestion
    app[LIMITS] = Limits(ingestion.max_connections, ingestion.request_timeout)
    app[GUARDS] = []
    budget: BodyBudget | None = None

    async def read(request: web.Request) -> bytes:
        nonlocal budget
        limit = ingestion.max_body
        declared = request.content_length
        if declared is not None and declared > limit:
            raise TooLarge(f"body larger than {limit} bytes")
        if budget is None:
            budget = BodyBudget(max(ingestion.body_budget, limit))
        size = limit if declared is None else declared
        due = request.get(DEADLINE) or asyncio.get_running_loop().time() + ingestion.request_timeout
        try:
            async with asyncio.timeout_at(due):
                await budget.reserve(size)
        except TimeoutError:
            raise Busy("too many request bodies in memory now; retry") from None
        try:
            async with asyncio.timeout_at(due):
                return await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise TooLarge(f"body larger than {limit} bytes") from None
        except web.RequestPayloadError as exc:  # a corrupt gzip or deflate body, or cut short
            raise BadBody(f"cannot read the body: {str(exc).split(':', 1)[-1].strip()}") from None
        except TimeoutError:
            raise TimeoutError(
                f"request not received within {ingestion.request_timeout:g} s"
            ) from None
        finally:
            await budget.release(size)

    async def store(records: list[Record]) -> web.Response:
        try:
            await ingestion.store.append(records)
        except Exception as exc:  # whatever the store's failure, nothing is acknowledged
            log.warning("store failed: %s", exc)
            return _line(503, f"cannot store events now: {exc}; nothing was accepted, retry")
        return web.Response(body=orjson.dumps(answer(records)), content_type="application/json")

    async def refused(request: web.Request, work: Callable[[], Awaitable[web.Response]]):
        try:
            return await work()
        except Unauthorized as exc:
            return _line(401, str(exc))
        except TooLarge as exc:
            return _line(413, str(exc))
        except BadBody as exc:
            return _line(400, str(exc))
        except Busy as exc:
            return _line(503, str(exc))
        except TimeoutError as exc:
            return _line(408, str(exc))

    async def events(request: web.Request) -> web.StreamResponse:
        if (reason := _refusal(request, WRITE)) is not None:
            return _line(401, reason)

        async def work() -> web.Response:
            body = await read(request)
            records = parse_events(body, request.content_type)
            del body
            return await store(records)

        return await refused(request, work)

    async def webhook(request: web.Request) -> web.StreamResponse:
        product = request.match_info["product"]
        if (reason := _refusal(request, webhook_scope(product))) is not None:
            return _line(401, reason)  # 401 before 404: no probing of paths without a token
        if product not in PRODUCTS:
            return _line(404, f"no such webhook; one of {', '.join(PRODUCTS)}")

        async def work() -> web.Response:
            body = await read(request)
            try:
                check_signature(product, ingestion.secrets, request.headers, body)
                payload = parse_webhook(body)
                translated: list[Event] = _translate(
                    product, payload, request.headers, ingestion.connectors
                )
            except PayloadError as exc:
                raise BadBody(f"{product}: {exc}") from None
            except BadBody as exc:
                raise type(exc)(f"{product}: {exc}") from None
            records = records_of(translated)
            if not records:
                return web.Response(
                    body=b'{"accepted":0,"rejected":[]}', content_type="application/json"
                )
            return await store(records)

        return await refused(request, work)

    async def health(request: web.Request) -> web.StreamResponse:
        if ingestion.store.ready():
            return web.Response(text="ok\n")
        return _line(503, "not ready")

    app.router.add_post("/v1/events", events)
    app.router.add_post("/v1/webhooks/{product}", webhook)
    app.router.add_get("/health", health)
    return app
