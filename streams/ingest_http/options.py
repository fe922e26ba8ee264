"""Command-line options shared by ``serve`` and ``ingest``."""

from __future__ import annotations

import argparse
import os
from typing import Any

from streams.connectors.common import ConnectorConfig
from streams.errors import UserError
from streams.ingest_http.app import DEFAULT_MAX_BODY, Ingestion, Store
from streams.ingest_http.auth import parse_secrets
from streams.settings import port_number


def add_http_options(parser: argparse.ArgumentParser, port: int) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default %(default)s)")
    parser.add_argument(
        "--port", type=port_number, default=port, help="listen port (default %(default)s)"
    )
    parser.add_argument(
        "--token",
        default=None,
        help="the token every POST must carry (Authorization: Bearer, or ?token=) "
        "[env SERVICEPULSE_TOKEN; required]",
    )
    parser.add_argument(
        "--webhook-secret",
        action="append",
        default=[],
        metavar="NAME=SECRET",
        help="shared secret of a product that signs its webhooks (chatwoot, zammad, zendesk); "
        "repeatable [env SERVICEPULSE_WEBHOOK_SECRETS, comma-separated]",
    )
    parser.add_argument(
        "--team-map",
        action="append",
        default=[],
        metavar="PRODUCT:ID=TEAM",
        help="name a product's group/team id, e.g. zendesk:360001=billing; repeatable",
    )
    parser.add_argument(
        "--max-body",
        type=int,
        default=DEFAULT_MAX_BODY,
        metavar="BYTES",
        help="largest request body accepted (default %(default)s)",
    )


def ingestion_from_args(args: argparse.Namespace, store: Store) -> Ingestion:
    token = args.token or os.environ.get("SERVICEPULSE_TOKEN")
    if not token:
        raise UserError("a token is required: --token or SERVICEPULSE_TOKEN")
    items: list[str] = list(args.webhook_secret)
    env = os.environ.get("SERVICEPULSE_WEBHOOK_SECRETS")
    if env and not items:
        items = [item for item in env.split(",") if item.strip()]
    try:
        secrets = parse_secrets(items)
    except ValueError as exc:
        raise UserError(f"--webhook-secret {exc}") from None
    teams: dict[str, Any] = {}
    for item in args.team_map:
        key, sep, name = item.partition("=")
        if not sep or ":" not in key or not name.strip():
            raise UserError(f"--team-map {item!r}: expected PRODUCT:ID=TEAM")
        teams[key.strip().lower()] = name.strip()
    if args.max_body < 1024:
        raise UserError("--max-body must be at least 1024 bytes")
    return Ingestion(
        store=store,
        token=token,
        secrets=secrets,
        connectors=ConnectorConfig(teams=teams),
        max_body=args.max_body,
    )
