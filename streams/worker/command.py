"""``servicepulse worker``: options, start-up checks, then the Faust worker until stopped."""

from __future__ import annotations

import argparse
import gc
import logging
import socket
import sys
from typing import TYPE_CHECKING, Any

from streams.alerting.options import add_alert_options, pusher_from_args
from streams.argtypes import retired_option
from streams.core.policy import load_policies
from streams.errors import UserError
from streams.kafka.settings import WORKER_OPTIONS, add_options, resolve
from streams.settings import env_value

if TYPE_CHECKING:
    import faust

    from streams.worker.app import Worker

log = logging.getLogger("servicepulse.worker")

STORE_NOTICE = "the ticket state lives in memory and in its changelog topic (docs/worker.md)"


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UserError(f"cannot serve /metrics on {host}:{port}: {exc.strerror}") from None


def _check_broker(bootstrap: str, timeout: float = 5.0) -> None:
    """One bootstrap server must accept a connection, else a one-line error (no Faust trace)."""
    errors = []
    for address in bootstrap.split(","):
        host, _, port = address.strip().split("://")[-1].rpartition(":")
        try:
            with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout):
                return
        except (OSError, ValueError) as exc:
            errors.append(f"{address.strip()}: {getattr(exc, 'strerror', None) or exc}")
    raise UserError(f"cannot reach Kafka ({'; '.join(errors)})")


def command(args: argparse.Namespace) -> int:
    # No cyclic GC until the state read ahead is built: ReadAhead.start turns it back on.
    gc.disable()
    try:
        faust_worker, worker = _prepare(args)
    except BaseException:
        gc.enable()
        raise
    worker.ahead.start(faust_worker.loop)  # the last assignment's state, while Faust starts
    faust_worker.execute_from_commandline()  # runs until SIGTERM/SIGINT, then exits
    return 0


def _prepare(args: argparse.Namespace) -> tuple[faust.Worker, Worker]:
    """The start-up checks, then the Faust worker around a :class:`Worker` (not started)."""
    settings = resolve(args, WORKER_OPTIONS)
    if env_value("SERVICEPULSE_STORE"):
        print(
            f"servicepulse worker: SERVICEPULSE_STORE is ignored: {STORE_NOTICE}", file=sys.stderr
        )
    policies = load_policies(settings.policy)
    if not 1 <= settings.port <= 65535:
        raise UserError(f"--port {settings.port}: the worker needs a port from 1 to 65535")
    _check_port(settings.host, settings.port)
    _check_broker(settings.broker)
    partitions = settings.partitions
    if args.create_topics:
        from streams.kafka.topics import ensure_topics

        topics = ensure_topics(settings)
        actual = topics[settings.topic].partitions
        if actual and actual != partitions:
            log.warning(
                "%s has %d partitions (not %d): following the topic",
                settings.topic,
                actual,
                partitions,
            )
            partitions = actual
    import faust

    from streams.worker.app import Worker

    use_event_loop(settings.event_loop)
    worker = Worker(settings, policies, partitions)
    worker.pusher = pusher_from_args(args)
    worker.escalate_after = args.escalate_after
    faust_worker = faust.Worker(
        worker.app,
        loglevel=settings.log_level.upper(),
        quiet=True,
        redirect_stdouts=False,
    )
    # Faust's terminal spinner sets the root logger to DEBUG, to spin at every record: each
    # debug call of aiokafka, Faust and mode then made a record (its own handler and the
    # spinner's), at full speed ~1 % of the main thread. The log level is the option's.
    faust_worker.spinner = None
    return faust_worker, worker


def use_event_loop(name: str) -> None:
    """Install the event loop policy ``--event-loop`` names (before the app is built).

    uvloop is an option, not the default: at 2,000 events/s and in the throughput run
    it made no measurable difference (docs/worker.md, "Latency"): the worker's time is
    in the engine and the exposition, not in the loop's own I/O.
    """
    import asyncio

    if name == "uvloop":
        try:
            import uvloop
        except ImportError:
            raise UserError(
                "--event-loop uvloop: uvloop is not installed (pip install 'servicepulse[uvloop]')"
            ) from None
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    else:
        asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "worker",
        help="the Faust worker: Kafka interactions -> engine -> /metrics",
        description="Consume the interaction topic with Faust, run the engine (state kept "
        "in a changelog-backed table), forward rejected events to the dead-letter topic, "
        "count SLA breaches on a timer, and serve /metrics and /health. Every option can "
        "also be set by the SERVICEPULSE_* variable shown.",
    )
    add_options(parser, WORKER_OPTIONS)
    retired_option(parser, "--store", STORE_NOTICE)
    parser.add_argument(
        "--create-topics",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="create the interaction and dead-letter topics if missing (default: yes)",
    )
    add_alert_options(parser)
    parser.set_defaults(func=command)
