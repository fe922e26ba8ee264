#!/usr/bin/env python3
"""Demo team-lead receiver: an Alertmanager webhook endpoint that logs what it gets.

Alertmanager's receivers ``lead-<team>`` post to ``http://HOST:PORT/<team>``
(see deploy/alertmanager/render.py). Each notification is printed as one line
per alert, e.g.::

    2026-11-23T10:15:02Z billing FIRING critical ServicePulseSLABreach target=first_response - ...

and kept in memory (the latest 500), so that

    GET /           -> {"notifications": [...]}   newest first, as received
    GET /health     -> ok

Standard library only: it runs in the app image (docker-compose.yml, service
``team-lead``) and in the local stack (``servicepulse stack up``).

Defensive: a body is at most 1 MiB (413 beyond, 400 for a bad Content-Length),
a connection idle for 10 s is closed, at most 16 connections are served at
once (503 beyond), and every logged value is escaped and cut (a newline in a
label cannot forge a log line).

    python3 deploy/stack/team_lead.py [--host 127.0.0.1] [--port 9095] [--out alerts.jsonl]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from streams.export.http import BoundedHTTPServer  # the image and the stack install it

KEEP = 500
MAX_BODY = 1024 * 1024
TIMEOUT = 10.0
MAX_CLIENTS = 16
MAX_FIELD = 200  # characters of one logged value


def clean(value: Any, limit: int = MAX_FIELD) -> str:
    """A value fit for one log line: control characters escaped, at most ``limit`` characters."""
    text = value if isinstance(value, str) else str(value)
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text[: limit + 1])
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Store:
    def __init__(self, out: Path | None) -> None:
        self.lock = threading.Lock()
        self.items: deque[dict[str, Any]] = deque(maxlen=KEEP)
        self.out = out

    def add(self, path: str, payload: Any) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        record = {"received": stamp, "path": path, "payload": payload}
        with self.lock:
            self.items.appendleft(record)
            if self.out is not None:
                with self.out.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(record, sort_keys=True) + "\n")
        for line in describe(stamp, path, payload):
            print(line, flush=True)

    def latest(self) -> list[dict[str, Any]]:
        with self.lock:
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


def make_handler(store: Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "servicepulse-team-lead/1"
        timeout = TIMEOUT  # socket timeout of every read and write: slow clients are dropped

        def _reply(self, code: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path in ("/health", "/-/healthy", "/-/ready"):
                self._reply(200, b"ok\n", "text/plain")
            elif self.path in ("/", "/notifications"):
                body = json.dumps({"notifications": store.latest()}, indent=1).encode()
                self._reply(200, body)
            else:
                self._reply(404, b'{"error": "not found"}')

        def do_POST(self) -> None:
            text = self.headers.get("Content-Length") or "0"
            if not text.isdigit():  # also refuses negative numbers
                self.close_connection = True
                self._reply(400, b'{"error": "bad Content-Length"}')
                return
            length = int(text)
            if length > MAX_BODY:
                self.close_connection = True
                self._reply(413, b'{"error": "body larger than 1 MiB"}')
                return
            raw = self.rfile.read(length) if length > 0 else b""
            try:
                payload = json.loads(raw or b"null")
            except (ValueError, RecursionError):
                self._reply(400, b'{"error": "body is not JSON"}')
                return
            store.add(self.path, payload)
            self._reply(200, b'{"status": "ok"}')

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per alert is printed by Store.add; no access log

    return Handler


class BoundedServer(BoundedHTTPServer):
    """At most ``MAX_CLIENTS`` connections at once; beyond that a 503 at once, no thread."""

    def __init__(self, address: tuple[str, int], handler: Any) -> None:
        super().__init__(address, handler, MAX_CLIENTS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address (default %(default)s)")
    parser.add_argument("--port", type=int, default=9095, help="port (default %(default)s)")
    parser.add_argument("--out", type=Path, help="also append every notification to this JSONL")
    args = parser.parse_args(argv)
    try:
        server = BoundedServer((args.host, args.port), make_handler(Store(args.out)))
    except OSError as exc:
        print(
            f"team_lead.py: error: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"team-lead receiver on http://{args.host}:{args.port}/ (POST /<team>)", flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
