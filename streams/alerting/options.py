"""The command-line options of ticket-level alerting, shared by demo, serve and worker."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

from streams.alerting.pusher import AlertPusher
from streams.core.engine import Engine
from streams.core.forewarnings import clock_warnings
from streams.core.policy import PolicyError, parse_duration
from streams.errors import UserError

ENV = "SERVICEPULSE_ALERTMANAGER"  # comma-separated Alertmanager URLs
DEFAULT_ESCALATE_AFTER = "30m"


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except PolicyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_alert_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("ticket-level alerts (pushed to Alertmanager)")
    group.add_argument(
        "--alertmanager",
        action="append",
        metavar="URL",
        help=f"Alertmanager to push ticket warnings and breaches to (repeatable; env {ENV})",
    )
    group.add_argument(
        "--ticket-url",
        metavar="TEMPLATE",
        help="link to a ticket in the alerts, {ticket_id} replaced (e.g. "
        "https://example.zendesk.com/agent/tickets/{ticket_id})",
    )
    group.add_argument(
        "--escalate-after",
        type=_duration,
        default=_duration(DEFAULT_ESCALATE_AFTER),
        metavar="D",
        help=f"a breach still open this long escalates to the manager "
        f"(default {DEFAULT_ESCALATE_AFTER})",
    )


def pusher_from_args(args: Any) -> AlertPusher | None:
    urls = list(args.alertmanager or [])
    if not urls and os.environ.get(ENV):
        urls = [url.strip() for url in os.environ[ENV].split(",") if url.strip()]
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise UserError(f"--alertmanager {url!r} must be an http:// or https:// URL")
    return AlertPusher(urls, ticket_url=args.ticket_url) if urls else None


async def push_alerts_forever(
    engine: Engine, pusher: AlertPusher, escalate_after: float, every: float = 1.0
) -> None:
    """For an asyncio adapter on the wall clock (serve): evaluate and push once a second."""
    while True:
        await asyncio.sleep(every)
        now = time.time()
        warnings = clock_warnings(
            engine.open.values(), now, engine.policies.at_risk, escalate_after
        )
        pusher.update(warnings, now, now)
