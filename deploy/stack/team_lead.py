#!/usr/bin/env python3
"""Demo team-lead receiver: an Alertmanager webhook endpoint that logs what it gets.

Alertmanager's receivers ``lead-<team>`` post to ``http://HOST:PORT/<team>``
(see deploy/alertmanager/render.py). Each notification is printed as one line
per alert, e.g.::

    2026-11-23T10:15:02Z billing FIRING critical ServicePulseSLABreach target=first_response - ...

and kept in memory (the latest 500), so that

    GET /           -> {"notifications": [...]}   newest first, as received
    GET /health     -> ok

It runs in the app image (docker-compose.yml, service ``team-lead``) and in the
local stack (``servicepulse stack up``), on the HTTP server of ``serve`` and
``ingest`` (``streams/ingest_http/server.py``) and its limits:

* each request has 10 s *as a whole* to arrive (request line, headers, body),
  from the connection opening or its previous answer; else the connection is
  closed. A per-read timeout let 16 clients sending a byte every 7 s hold every
  connection for ever;
* at most 64 connections open (asyncio: no thread each); beyond, ``503`` at once;
* a body is at most 1 MiB (413 beyond, 400 for a bad Content-Length);
* every logged value is escaped and cut (a newline in a label cannot forge a
  log line).

    python3 deploy/stack/team_lead.py [--host 127.0.0.1] [--port 9095] [--out alerts.jsonl]
                                      [--timeout 10] [--max-connections 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

from aiohttp import web

# the image and the stack install the package
from streams.errors import UserError
from streams.ingest_http.guard import DEADLINE, GUARDS, LIMITS, Limits, deadline_middleware
from streams.ingest_http.server import run

KEEP = 500
MAX_BODY = 1024 * 1024
TIMEOUT = 10.0  # seconds to receive a whole request
MAX_CLIENTS = 64
MAX_FIELD = 200  # characters of one logged value


def clean(value: Any, limit: int = MAX_FIELD) -> str:
    """A value fit for one log line: control characters escaped, at most ``limit`` characters."""
    text = value if isinstance(value, str) else str(value)
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text[: limit + 1])
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Store:
    def __init__(self, out: Path | None) -> None:
        self.items: deque[dict[str, Any]] = deque(maxlen=KEEP)
        self.out = out

    def add(self, path: str, payload: Any) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        record = {"received": stamp, "path": path, "payload": payload}
        self.items.appendleft(record)
        if self.out is not None:
            with self.out.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, sort_keys=True) + "\n")
        for line in describe(stamp, path, payload):
            print(line, flush=True)

    def latest(self) -> list[dict[str, Any]]:
        return list(self.items)


def describe(stamp: str, path: str, payload: Any) -> list[str]:
    """One log line per alert of an Alertmanager webhook payload."""
    who = clean(path.strip("/") or "-", 64)
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        return [f"{stamp} {who} (not an Alertmanager notification)"]
    lines = []
    for alert in payload["alerts"]:
        if not isinstance(alert, dict):
            continue
        labels = alert.get("labels")
        notes = alert.get("annotations")
        labels = labels if isinstance(labels, dict) else {}
        notes = notes if isinstance(notes, dict) else {}
        extra = " ".join(
            f"{key}={clean(labels[key], 64)}" for key in ("target", "reason") if key in labels
        )
        summary = clean(notes.get("summary") or notes.get("description") or "")
        lines.append(
            f"{stamp} {who} {clean(alert.get('status', '?'), 16).upper()} "
            f"{clean(labels.get('severity', '-'), 16)} {clean(labels.get('alertname', '?'), 64)}"
            + (f" {extra}" if extra else "")
            + (f" - {summary}" if summary else "")
        )
    return lines or [f"{stamp} {who} (no alerts)"]


def _json(status: int, body: Any) -> web.Response:
    response = web.json_response(body, status=status, dumps=lambda v: json.dumps(v, indent=1))
    if status >= 400:
        response.force_close()  # a body left unread is not read
    return response


def make_app(
    store: Store, timeout: float = TIMEOUT, max_clients: int = MAX_CLIENTS
) -> web.Application:
    """The receiver's application, for ``streams.ingest_http.server.run``."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[deadline_middleware])
    app[LIMITS] = Limits(max_clients, timeout)
    app[GUARDS] = []

    async def health(request: web.Request) -> web.StreamResponse:
        return web.Response(text="ok\n")

    async def notifications(request: web.Request) -> web.StreamResponse:
        return _json(200, {"notifications": store.latest()})

    async def receive(request: web.Request) -> web.StreamResponse:
        if (request.content_length or 0) > MAX_BODY:
            return _json(413, {"error": "body larger than 1 MiB"})
        due = request.get(DEADLINE) or asyncio.get_running_loop().time() + timeout
        try:
            async with asyncio.timeout_at(due):
                raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _json(413, {"error": "body larger than 1 MiB"})
        except web.RequestPayloadError:
            return _json(400, {"error": "cannot read the body"})
        except TimeoutError:
            return _json(408, {"error": f"request not received within {timeout:g} s"})
        try:
            payload = json.loads(raw or b"null")
        except (ValueError, RecursionError):
            return _json(400, {"error": "body is not JSON"})
        store.add(request.path, payload)
        return _json(200, {"status": "ok"})

    for path in ("/health", "/-/healthy", "/-/ready"):
        app.router.add_get(path, health)
    for path in ("/", "/notifications"):
        app.router.add_get(path, notifications)
    app.router.add_post("/{team:.*}", receive)
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address (default %(default)s)")
    parser.add_argument("--port", type=int, default=9095, help="port (default %(default)s)")
    parser.add_argument("--out", type=Path, help="also append every notification to this JSONL")
    parser.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT,
        help="seconds to receive a whole request (default %(default)s)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=MAX_CLIENTS,
        help="open connections at most; beyond, 503 (default %(default)s)",
    )
    args = parser.parse_args(argv)
    if not (0 < args.timeout < float("inf")) or args.max_connections < 1:
        parser.error("--timeout and --max-connections must be positive")
    banner = f"team-lead receiver on http://{args.host}:{args.port}/ (POST /<team>)"
    try:
        app = make_app(Store(args.out), args.timeout, args.max_connections)
        return run(app, args.host, args.port, banner)
    except UserError as exc:
        print(f"team_lead.py: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
