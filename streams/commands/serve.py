"""``servicepulse serve``: the embedded deployment for a team without Kafka.

One process, one port: the HTTP ingestion (contract section 5), the engine
in-process on the wall clock, and ``/metrics``. Every accepted event is in
the journal (``--data-dir``, fsynced before the ``200``) and replayed at
start; the journal is compacted into a snapshot so a restart stays short.

Time: the engine's clock is the wall clock minus ``--grace`` (as the Kafka
worker's ``--clock wall``), so a reply made before its deadline but delivered
late (batched or retried webhooks) is not counted breached; the gauges and
the pushed alerts are evaluated on the real wall clock (docs/ingestion.md,
"Time in serve").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from streams.alerting.options import add_alert_options, push_alerts_forever, pusher_from_args
from streams.argtypes import non_negative_number, positive_number
from streams.core.engine import Engine
from streams.core.policy import load_policies
from streams.errors import UserError
from streams.export.exporter import Exporter
from streams.ingest_http.app import make_app
from streams.ingest_http.options import add_http_options, ingestion_from_args
from streams.ingest_http.server import run
from streams.journal import Journal
from streams.ledger.http import add_read_routes
from streams.ledger.options import add_ledger_options, ledger_from_args, ledger_target
from streams.ledger.sink import Ledger
from streams.ledger.store import DEFAULT_FILE
from streams.serve.store import JournalStore

log = logging.getLogger("servicepulse.serve")
# Longer than the worker's 5 s: webhooks reach serve straight from the helpdesk, which
# batches them and retries a failed or timed-out delivery (docs/ingestion.md).
DEFAULT_GRACE = 60.0


def build(args: argparse.Namespace) -> tuple[web.Application, JournalStore]:
    policies = load_policies(args.policy)
    exporter = Exporter()
    engine = Engine(policies, exporter)
    exporter.watch(engine, now=time.time)  # gauges: the real wall clock, not wall - grace
    try:
        journal = Journal(args.data_dir, segment_bytes=int(args.segment_mb * 1024 * 1024))
        journal.lock()  # before anything else in --data-dir (the ledger) is opened
    except OSError as exc:
        raise UserError(f"cannot use --data-dir {args.data_dir}: {exc.strerror}") from None
    store = JournalStore(journal, engine, exporter, grace=args.grace)
    ingestion = ingestion_from_args(args, store)
    ledger_default = Path(args.data_dir) / DEFAULT_FILE
    try:
        ledger = ledger_from_args(args, ledger_default)  # the journal's replay rewrites it
    except UserError as exc:
        if args.ledger is not None:
            raise
        ledger = None  # the default ledger must not stop ingestion (a full disk, ...)
        log.warning("%s: serving without the outcomes ledger", exc)
    engine.records = ledger
    started = time.monotonic()
    try:
        replayed = store.recover()
    except OSError as exc:
        raise UserError(f"cannot read the journal in {args.data_dir}: {exc.strerror}") from None
    engine.advance(store.clock())
    print(
        f"servicepulse serve: {replayed} journal events replayed in "
        f"{time.monotonic() - started:.2f}s, {len(engine.tickets)} tickets",
        file=sys.stderr,
        flush=True,
    )
    app = make_app(ingestion)
    if ledger is not None:
        add_read_routes(app, ledger, str(ledger_target(args, ledger_default)), engine)

    async def metrics(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=exporter.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def background(app: web.Application) -> AsyncIterator[None]:
        tasks = [
            asyncio.create_task(store.run()),
            asyncio.create_task(store.tick(args.tick)),
        ]
        if ledger is not None:
            tasks.append(asyncio.create_task(flush_ledger_forever(ledger)))
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        journal.close()
        if ledger is not None:
            try:
                ledger.close()
            except UserError as exc:
                log.warning("%s", exc)

    pusher = pusher_from_args(args)

    async def alerts(app: web.Application) -> AsyncIterator[None]:
        if pusher is None:
            yield
            return
        task = asyncio.create_task(push_alerts_forever(engine, pusher, args.escalate_after))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await asyncio.to_thread(pusher.close)

    app.router.add_get("/metrics", metrics)
    app.cleanup_ctx.append(background)
    app.cleanup_ctx.append(alerts)
    return app, store


async def flush_ledger_forever(ledger: Ledger) -> None:
    """Write the ledger's waiting records once a second even when no event comes."""
    while True:
        await asyncio.sleep(ledger.interval)
        ledger.flush_due()


def command(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    app, _ = build(args)
    banner = (
        f"servicepulse serve: http://{args.host}:{args.port}/v1/events, /v1/webhooks/..., "
        f"/metrics, /health (data in {args.data_dir})"
    )
    return run(app, args.host, args.port, banner)


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "serve",
        help="HTTP ingestion + engine in-process + /metrics, journal on disk (no Kafka)",
        description="The embedded deployment for a team without Kafka: POST /v1/events and "
        "/v1/webhooks/{chatwoot,zammad,zendesk}, the engine on the wall clock and /metrics on "
        "one port. Every accepted event is fsynced to a journal in --data-dir before the 200, "
        "and replayed at start.",
    )
    add_http_options(parser, port=8080)
    parser.add_argument("--policy", metavar="P", help="SLA policy YAML (default: built-in)")
    parser.add_argument(
        "--data-dir",
        default="var/serve",
        metavar="DIR",
        help="journal and snapshot directory (default %(default)s)",
    )
    parser.add_argument(
        "--segment-mb",
        type=positive_number,
        default=64.0,
        metavar="MB",
        help="compact the journal into a snapshot when it reaches this size (default %(default)s)",
    )
    parser.add_argument(
        "--tick",
        type=positive_number,
        default=1.0,
        metavar="SECONDS",
        help="how often the engine's clock follows the wall clock (default %(default)s)",
    )
    parser.add_argument(
        "--grace",
        type=non_negative_number,
        default=DEFAULT_GRACE,
        metavar="SECONDS",
        help="the engine's clock runs this far behind the wall clock, so that an event "
        "delivered up to this late (a batched or retried webhook) is counted as of its own "
        "time: a reply made before its deadline counts met; breaches are counted this much after "
        "their deadline, while gauges and alerts use the wall clock (default %(default)s)",
    )
    add_alert_options(parser)
    add_ledger_options(parser, default_note="default: DIR/ledger.sqlite3 of --data-dir")
    parser.set_defaults(func=command)
