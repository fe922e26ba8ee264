"""The command-line options of ticket-level alerting, shared by demo, serve and worker."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from streams.alerting.pusher import AlertPusher
from streams.argtypes import duration
from streams.core.engine import Engine
from streams.core.forewarnings import clock_warnings
from streams.errors import UserError
from streams.settings import env_list

ENV = "SERVICEPULSE_ALERTMANAGER"  # comma-separated Alertmanager URLs
DEFAULT_ESCALATE_AFTER = "30m"


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
        type=duration,
        default=duration(DEFAULT_ESCALATE_AFTER),
        metavar="D",
        help=f"a breach still open this long escalates to the manager, seconds or 30m/2h "
        f"(default {DEFAULT_ESCALATE_AFTER})",
    )


def pusher_from_args(args: Any) -> AlertPusher | None:
    urls = list(args.alertmanager or [])
    if not urls:
        urls = env_list(ENV)
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
