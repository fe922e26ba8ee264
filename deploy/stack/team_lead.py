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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

KEEP = 500


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
    who = path.strip("/") or "-"
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        return [f"{stamp} {who} (not an Alertmanager notification)"]
    lines = []
    for alert in payload["alerts"]:
        labels = alert.get("labels") or {}
        notes = alert.get("annotations") or {}
        extra = " ".join(f"{key}={labels[key]}" for key in ("target", "reason") if key in labels)
        summary = notes.get("summary") or notes.get("description") or ""
        lines.append(
            f"{stamp} {who} {str(alert.get('status', '?')).upper()} "
            f"{labels.get('severity', '-')} {labels.get('alertname', '?')}"
            + (f" {extra}" if extra else "")
            + (f" - {summary}" if summary else "")
        )
    return lines or [f"{stamp} {who} (no alerts)"]


def make_handler(store: Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "servicepulse-team-lead/1"

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
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length > 0 else b""
            try:
                payload = json.loads(raw or b"null")
            except ValueError:
                self._reply(400, b'{"error": "body is not JSON"}')
                return
            store.add(self.path, payload)
            self._reply(200, b'{"status": "ok"}')

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per alert is printed by Store.add; no access log

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address (default %(default)s)")
    parser.add_argument("--port", type=int, default=9095, help="port (default %(default)s)")
    parser.add_argument("--out", type=Path, help="also append every notification to this JSONL")
    args = parser.parse_args(argv)
    try:
        server = ThreadingHTTPServer((args.host, args.port), make_handler(Store(args.out)))
    except OSError as exc:
        print(
            f"team_lead.py: error: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    server.daemon_threads = True

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
