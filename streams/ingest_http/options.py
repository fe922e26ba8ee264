"""Command-line options shared by ``serve`` and ``ingest``."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from streams.argtypes import port_number, positive_number
from streams.connectors.common import ConnectorConfig
from streams.errors import UserError
from streams.ingest_http.app import (
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_REQUEST_TIMEOUT,
    Ingestion,
    Store,
)
from streams.ingest_http.auth import Tokens, parse_secrets, parse_webhook_tokens
from streams.settings import env_list, env_value

MAX_TOKEN_FILE = 4096  # bytes read of a token file


def add_http_options(parser: argparse.ArgumentParser, port: int) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default %(default)s)")
    parser.add_argument(
        "--port", type=port_number, default=port, help="listen port (default %(default)s)"
    )
    parser.add_argument(
        "--token",
        default=None,
        help="the write token: every POST and GET (Authorization: Bearer; ?token= on webhook "
        "paths only); shows in the process list, prefer --token-file "
        "[env SERVICEPULSE_TOKEN; this, --token-file or the env is required]",
    )
    parser.add_argument(
        "--token-file",
        default=None,
        metavar="PATH",
        help="read the write token from this file (its first line), so that it never shows "
        "in the process list",
    )
    parser.add_argument(
        "--read-token",
        default=None,
        metavar="TOKEN",
        help="a token admitting only the GET read endpoints (the write token reads too) "
        "[env SERVICEPULSE_READ_TOKEN]",
    )
    parser.add_argument(
        "--read-token-file",
        default=None,
        metavar="PATH",
        help="read the read token from this file",
    )
    parser.add_argument(
        "--webhook-token",
        action="append",
        default=[],
        metavar="NAME=TOKEN",
        help="a product's own token (chatwoot, zammad, zendesk), admitting only "
        "POST /v1/webhooks/NAME: the token to paste into that helpdesk; repeatable "
        "[env SERVICEPULSE_WEBHOOK_TOKENS, comma-separated]",
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
    parser.add_argument(
        "--request-timeout",
        type=positive_number,
        default=DEFAULT_REQUEST_TIMEOUT,
        metavar="SECONDS",
        help="a whole request (headers and body) must arrive within this time of its "
        "connection opening or its previous answer, else the connection is closed "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help="open connections at most (lowered to fit the open-file limit); a connection "
        "beyond is answered 503 and closed (default %(default)s)",
    )


def read_token_file(option: str, path: str) -> str:
    """The first line of ``path``, without surrounding whitespace; UserError if unreadable
    or empty. The token itself never appears in a message."""
    try:
        with open(path, "rb") as file:
            text = file.read(MAX_TOKEN_FILE + 1)
    except OSError as exc:
        raise UserError(f"{option} {path}: {exc.strerror}") from None
    if len(text) > MAX_TOKEN_FILE:
        raise UserError(f"{option} {path}: larger than {MAX_TOKEN_FILE} bytes, not a token")
    try:
        lines = text.decode().strip().splitlines()
    except UnicodeDecodeError:
        raise UserError(f"{option} {path}: not UTF-8 text") from None
    if not lines or not lines[0].strip():
        raise UserError(f"{option} {path}: the file is empty")
    return lines[0].strip()


def _one_token(
    args: argparse.Namespace, name: str, env: str, environ: Mapping[str, str] | None
) -> str | None:
    """``--NAME``, ``--NAME-file`` or ``$env`` (in that order; the options exclude each other)."""
    value = getattr(args, name.replace("-", "_"), None)
    path = getattr(args, name.replace("-", "_") + "_file", None)
    if value and path:
        raise UserError(f"--{name} and --{name}-file: give one of them")
    if path:
        return read_token_file(f"--{name}-file", path)
    return value or env_value(env, environ)


def tokens_from_args(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Tokens:
    """The tokens of the options and environment, checked (length, distinct); UserError
    (one line, never showing a token) otherwise."""
    write = _one_token(args, "token", "SERVICEPULSE_TOKEN", environ)
    if not write:
        raise UserError("a token is required: --token-file, --token or SERVICEPULSE_TOKEN")
    read = _one_token(args, "read-token", "SERVICEPULSE_READ_TOKEN", environ)
    items: list[str] = list(getattr(args, "webhook_token", []) or [])
    if not items:
        items = env_list("SERVICEPULSE_WEBHOOK_TOKENS", environ)
    try:
        webhooks = parse_webhook_tokens(items)
        tokens = Tokens(write=write, read=read, webhooks=webhooks)
        tokens.check()
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return tokens


def ingestion_from_args(args: argparse.Namespace, store: Store) -> Ingestion:
    tokens = tokens_from_args(args)
    items: list[str] = list(args.webhook_secret)
    if not items:
        items = env_list("SERVICEPULSE_WEBHOOK_SECRETS")
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
    if args.max_connections < 1:
        raise UserError("--max-connections must be at least 1")
    return Ingestion(
        store=store,
        tokens=tokens,
        secrets=secrets,
        connectors=ConnectorConfig(teams=teams),
        max_body=args.max_body,
        request_timeout=args.request_timeout,
        max_connections=args.max_connections,
    )
