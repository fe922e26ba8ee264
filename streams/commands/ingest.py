"""``servicepulse ingest``: the HTTP ingestion in front of Kafka.

Every accepted element is produced to the interaction topic, keyed by its
``ticket_id`` (so one ticket stays on one partition, in order), with
``acks=all`` and the idempotent producer; the request is answered ``200`` only
once the broker acknowledged all of them, ``503`` when it cannot (broker down,
timeout). Stateless: run several behind a load balancer. A retried request
after a ``503`` may put an element on the topic twice; its ``event_id`` is the
same, and the worker counts it once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from streams.argtypes import positive_number
from streams.ingest_http.app import make_app
from streams.ingest_http.bodies import Record
from streams.ingest_http.options import add_http_options, ingestion_from_args
from streams.ingest_http.server import run
from streams.kafka.security import aiokafka_options
from streams.kafka.settings import KAFKA_OPTIONS, Settings, add_options, resolve

log = logging.getLogger("servicepulse.ingest")


def producer_config(settings: Settings, timeout: float) -> dict[str, Any]:
    """The AIOKafkaProducer's keyword arguments: acks=all, idempotent, and the security
    options (``--security-protocol``, SASL, TLS) of the settings; UserError (one line)
    when they are incomplete (a SASL protocol without its password, an unreadable CA file)."""
    return {
        "bootstrap_servers": settings.bootstrap,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 2,
        "request_timeout_ms": int(timeout * 1000),
        "client_id": f"{settings.app_id}-ingest",
        **aiokafka_options(settings),
    }


class KafkaStore:
    """An aiokafka producer (acks=all, idempotent) that (re)connects in the background."""

    def __init__(self, settings: Settings, timeout: float) -> None:
        self.settings = settings
        self.timeout = timeout
        # built now: a bad security option is a one-line error before listening
        self.config = producer_config(settings, timeout)
        self.producer: Any = None

    def ready(self) -> bool:
        return self.producer is not None

    async def connect(self) -> None:
        """Start the producer, retrying until the broker answers; runs until it did."""
        from aiokafka import AIOKafkaProducer

        delay = 0.5
        while self.producer is None:
            producer = AIOKafkaProducer(**self.config)
            try:
                await producer.start()
            except Exception as exc:
                log.warning("Kafka at %s not reachable yet: %s", self.settings.broker, exc)
                with contextlib.suppress(Exception):
                    await producer.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self.producer = producer

    async def append(self, records: list[Record]) -> None:
        producer = self.producer
        if producer is None:
            raise ConnectionError(f"Kafka at {self.settings.broker} not connected")
        topic = self.settings.topic
        try:
            async with asyncio.timeout(self.timeout):
                pending = [
                    await producer.send(
                        topic,
                        value=record.line,
                        key=record.key.encode() if record.key is not None else None,
                    )
                    for record in records
                ]
                await asyncio.gather(*pending)
        except TimeoutError:
            raise ConnectionError(f"Kafka did not acknowledge within {self.timeout:g}s") from None

    async def close(self) -> None:
        if self.producer is not None:
            with contextlib.suppress(Exception):
                await self.producer.stop()


def command(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    settings = resolve(args, KAFKA_OPTIONS)
    settings.bootstrap  # noqa: B018 - a bad --broker is a one-line error before listening
    store = KafkaStore(settings, args.kafka_timeout)
    app = make_app(ingestion_from_args(args, store))

    async def background(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(store.connect())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await store.close()

    app.cleanup_ctx.append(background)
    banner = (
        f"servicepulse ingest: http://{args.host}:{args.port}/v1/events -> "
        f"{settings.topic} on {settings.broker}"
    )
    return run(app, args.host, args.port, banner)


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "ingest",
        help="HTTP ingestion in front of Kafka (200 after the broker acknowledged)",
        description="POST /v1/events and /v1/webhooks/{chatwoot,zammad,zendesk}: every "
        "accepted event is produced to the interaction topic keyed by ticket_id, acks=all, "
        "idempotent, before the request is answered 200; 503 when Kafka cannot take it. "
        "Stateless: run several behind a load balancer.",
    )
    add_http_options(parser, port=8081)
    add_options(parser, KAFKA_OPTIONS)
    parser.add_argument(
        "--kafka-timeout",
        type=positive_number,
        default=10.0,
        metavar="SECONDS",
        help="answer 503 when Kafka has not acknowledged within this time (default %(default)s)",
    )
    parser.set_defaults(func=command)
