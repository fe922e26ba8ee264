"""A small, defensive HTTP server for ``/metrics`` (demo; usable by any command).

prometheus-client's ``start_http_server`` answers every path with the
metrics, gives each connection a thread for as long as the client likes and
has no limit on connections: a few slow clients hold it and block scrapes.
This one:

* answers ``GET /metrics`` (the exposition) and ``GET /health``; any other
  path is 404 and any other method 405;
* closes a connection idle for ``timeout`` seconds (default 10): a client
  that sends its request slowly or never reads the answer is dropped;
* serves at most ``max_clients`` connections at once (default 8); beyond
  that a new connection gets ``503`` at once instead of a thread;
* never logs a request line (it may carry anything a client sent).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_CLIENTS = 8
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 5\r\nConnection: close\r\n\r\nbusy\n"
)


class _Handler(BaseHTTPRequestHandler):
    server: MetricsServer
    protocol_version = "HTTP/1.1"
    server_version = "servicepulse"
    sys_version = ""

    def _reply(self, code: int, body: bytes, kind: str = "text/plain; charset=utf-8") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._reply(200, self.server.render(), CONTENT_TYPE)
        elif path == "/health":
            self._reply(200, b"ok\n")
        else:
            self._reply(404, b"not found: try /metrics\n")

    do_HEAD = do_GET

    def _not_allowed(self) -> None:
        self.close_connection = True
        self._reply(405, b"method not allowed\n")

    do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed

    def log_message(self, format: str, *args: Any) -> None:
        pass


class BoundedHTTPServer(ThreadingHTTPServer):
    """A threading server with at most ``max_clients`` connections; beyond them a 503 at once,
    without a thread (a slow client cannot pile up threads). Also deploy/stack/team_lead.py."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any, max_clients: int) -> None:
        self._slots = threading.BoundedSemaphore(max_clients)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            try:
                request.settimeout(1.0)
                request.sendall(BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up or timed out is not worth a traceback


class MetricsServer(BoundedHTTPServer):
    """``/metrics`` with timeouts and a bound on concurrent connections."""

    allow_reuse_address = True

    def __init__(
        self,
        host: str,
        port: int,
        render: Callable[[], bytes],
        timeout: float = DEFAULT_TIMEOUT,
        max_clients: int = DEFAULT_MAX_CLIENTS,
    ) -> None:
        self.render = render
        self.timeout_seconds = timeout
        # the handler's timeout is the socket timeout of every read and write
        handler = type("Handler", (_Handler,), {"timeout": timeout})
        super().__init__((host, port), handler, max_clients)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self) -> MetricsServer:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self.serve_forever, name="metrics", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def serve_metrics(
    host: str, port: int, render: Callable[[], bytes], **options: Any
) -> MetricsServer:
    """Start a :class:`MetricsServer` in the background; raises OSError if it cannot bind."""
    return MetricsServer(host, port, render, **options).start()
