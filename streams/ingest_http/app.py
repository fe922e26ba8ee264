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
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from aiohttp import web

from streams.connectors import chatwoot, zammad, zendesk
from streams.connectors.common import DEFAULT_CONFIG, ConnectorConfig, Event, PayloadError
from streams.errors import UserError
from streams.ingest_http.auth import Unauthorized, check_signature, check_token
from streams.ingest_http.bodies import (
    BadBody,
    Record,
    parse_events,
    parse_webhook,
    records_of,
    rejections,
)

log = logging.getLogger("servicepulse.ingest_http")

DEFAULT_MAX_BODY = 8 * 1024 * 1024  # bytes of one request
PRODUCTS = ("chatwoot", "zammad", "zendesk")


class Store(Protocol):
    """Where accepted events go; ``append`` returns once they are durable, raises otherwise."""

    async def append(self, records: list[Record]) -> None: ...

    def ready(self) -> bool: ...


@dataclass
class Ingestion:
    """What the routes need: the store, the token, the products' secrets, the limits."""

    store: Store
    token: str
    secrets: Mapping[str, bytes] = field(default_factory=dict)
    connectors: ConnectorConfig = DEFAULT_CONFIG
    max_body: int = DEFAULT_MAX_BODY


def _line(status: int, reason: str) -> web.Response:
    """A one-line plain-text answer (400, 401, 503)."""
    return web.Response(status=status, text=reason.replace("\n", " ") + "\n")


def _translate(product: str, payload: Any, headers: Mapping[str, str], config: ConnectorConfig):
    if product == "chatwoot":
        return chatwoot.translate(payload, config)
    if product == "zammad":
        return zammad.translate(payload, headers.get("X-Zammad-Trigger"), config)
    return zendesk.translate(payload, config)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_app(ingestion: Ingestion) -> web.Application:
    app = web.Application(client_max_size=ingestion.max_body)
    app["ingestion"] = ingestion

    async def read(request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > ingestion.max_body:
            raise BadBody(f"body larger than {ingestion.max_body} bytes")
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise BadBody(f"body larger than {ingestion.max_body} bytes") from None

    def authorise(request: web.Request) -> None:
        check_token(
            ingestion.token, request.headers.get("Authorization"), request.query.get("token")
        )

    async def store(records: list[Record], rejected: list[dict[str, Any]]) -> web.Response:
        try:
            await ingestion.store.append(records)
        except Exception as exc:  # whatever the store's failure, nothing is acknowledged
            log.warning("store failed: %s", exc)
            return _line(503, f"cannot store events now: {exc}; nothing was accepted, retry")
        body = {"accepted": len(records) - len(rejected), "rejected": rejected}
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    async def events(request: web.Request) -> web.StreamResponse:
        try:
            authorise(request)
            body = await read(request)
            records = parse_events(body, request.content_type)
        except Unauthorized as exc:
            return _line(401, str(exc))
        except BadBody as exc:
            return _line(400, str(exc))
        return await store(records, rejections(records))

    async def webhook(request: web.Request) -> web.StreamResponse:
        product = request.match_info["product"]
        if product not in PRODUCTS:
            return _line(404, f"no webhook for {product!r}; one of {', '.join(PRODUCTS)}")
        try:
            authorise(request)
            body = await read(request)
            check_signature(product, ingestion.secrets, request.headers, body)
            payload = parse_webhook(body)
            translated: list[Event] = _translate(
                product, payload, request.headers, ingestion.connectors
            )
        except Unauthorized as exc:
            return _line(401, str(exc))
        except (BadBody, PayloadError) as exc:
            return _line(400, f"{product}: {exc}")
        records = records_of(translated)
        if not records:
            return web.Response(
                body=b'{"accepted":0,"rejected":[]}', content_type="application/json"
            )
        return await store(records, rejections(records))

    async def health(request: web.Request) -> web.StreamResponse:
        if ingestion.store.ready():
            return web.Response(text="ok\n")
        return _line(503, "not ready")

    app.router.add_post("/v1/events", events)
    app.router.add_post("/v1/webhooks/{product}", webhook)
    app.router.add_get("/health", health)
    return app


def run(app: web.Application, host: str, port: int, banner: str) -> int:
    """Say where it listens (one line on stderr), then serve until stopped."""
    print(banner, file=sys.stderr, flush=True)
    try:
        web.run_app(app, host=host, port=port, print=None, access_log=None)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return 0
