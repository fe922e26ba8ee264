"""A small, defensive HTTP server for ``/metrics`` (demo; usable by any command).

prometheus-client's ``start_http_server`` answers every path with the
metrics, gives each connection a thread for as long as the client likes and
has no limit on connections: a few slow clients hold it and block scrapes.
This one:

* answers ``GET /metrics`` (the exposition) and ``GET /health``; any other
  path is 404 and any other method 405;
* gives each request ``timeout`` seconds (default 10) *as a whole*: its
  request line and headers must have arrived that long after the connection
  opened (or its previous answer was sent), and its answer must be taken
  within as long, else the connection is closed. A per-read timeout let a
  client sending a byte every 7 s hold a connection for ever;
* serves at most ``max_clients`` connections at once (default 8). When all
  are taken, a new connection takes the place of the one that has been
  waiting for its request the longest, if that is more than ``EVICT_AFTER``
  (1 s; a scraper sends its request within milliseconds): slow or idle
  clients cannot starve scrapes. Only when no connection can be displaced is
  the new one answered ``503`` at once, without a thread, and one line
  logged (at most one a minute);
* never logs a request line (it may carry anything a client sent).
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_CLIENTS = 8
EVICT_AFTER = 1.0  # seconds a connection waits for its request before a new one may displace it
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 5\r\nConnection: close\r\n\r\nbusy\n"
)
log = logging.getLogger("servicepulse.http")


class _DeadlineReader(io.RawIOBase):
    """Reads of a socket that share one deadline (``owner.deadline``, monotonic seconds):
    each read may wait only for what is left of it."""

    def __init__(self, sock: socket.socket, owner: Any) -> None:
        self.sock = sock
        self.owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.owner.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("request not received in time")
        self.sock.settimeout(remaining)
        return self.sock.recv_into(buffer)


class _DeadlineWriter(io.BufferedIOBase):
    """Writes that share the same deadline: a client that does not take its answer is dropped."""

    def __init__(self, sock: socket.socket, owner: Any) -> None:
        self.sock = sock
        self.owner = owner

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        remaining = self.owner.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("answer not taken in time")
        self.sock.settimeout(remaining)
        self.sock.sendall(data)
        return len(data)


class _Handler(BaseHTTPRequestHandler):
    server: MetricsServer
    protocol_version = "HTTP/1.1"
    server_version = "servicepulse"
    sys_version = ""

    deadline = 0.0  # monotonic seconds by which the current request must have arrived

    def setup(self) -> None:
        super().setup()
        self.deadline = time.monotonic() + self.server.timeout_seconds
        self.rfile = io.BufferedReader(_DeadlineReader(self.connection, self))
        self.wfile = _DeadlineWriter(self.connection, self)

    def parse_request(self) -> bool:
        ok = super().parse_request()
        # the request is in: it is being served, not displaced; its answer has the time again
        self.server.serving(self.connection)
        self.deadline = time.monotonic() + self.server.timeout_seconds
        return ok

    def handle_one_request(self) -> None:
        super().handle_one_request()
        # the next request on this connection has the whole time again, from now
        self.deadline = time.monotonic() + self.server.timeout_seconds
        self.server.waiting(self.connection)

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
    without a thread (a slow client cannot pile up threads). Also deploy/stack/team_lead.py.

    With ``evict_after`` set (and handlers that call ``serving``/``waiting``), a new
    connection finding every slot taken displaces the connection that has been waiting
    for its request longest, if longer than ``evict_after`` seconds."""

    daemon_threads = True
    evict_after: float | None = None

    def __init__(self, address: tuple[str, int], handler: Any, max_clients: int) -> None:
        self._slots = threading.BoundedSemaphore(max_clients)
        self.max_clients = max_clients
        self._lock = threading.Lock()
        self._waiting: dict[Any, float] = {}  # connection -> since when it waits for a request
        self._refused = 0
        self._last_log = -1e9
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def serving(self, connection: Any) -> None:
        with self._lock:
            self._waiting.pop(connection, None)

    def waiting(self, connection: Any) -> None:
        with self._lock:
            self._waiting[connection] = time.monotonic()

    def _displace(self) -> bool:
        """Close the reading side of the connection waiting longest (beyond evict_after)."""
        if self.evict_after is None:
            return False
        with self._lock:
            if not self._waiting:
                return False
            oldest, since = min(self._waiting.items(), key=lambda item: item[1])
            if time.monotonic() - since < self.evict_after:
                return False
            del self._waiting[oldest]
        with contextlib.suppress(OSError):
            oldest.shutdown(socket.SHUT_RDWR)  # its thread's read returns at once: it ends
        return True

    def _refuse(self, request: Any) -> None:
        try:
            request.settimeout(1.0)
            request.sendall(BUSY)
        except OSError:
            pass
        self.shutdown_request(request)
        self._refused += 1
        now = time.monotonic()
        if now - self._last_log >= 60:
            log.warning(
                "%d connections refused (503) in the last minute: all %d busy",
                self._refused,
                self.max_clients,
            )
            self._refused, self._last_log = 0, now

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False) and not (
            self._displace() and self._slots.acquire(timeout=1.0)
        ):
            self._refuse(request)
            return
        if self.evict_after is not None:
            self.waiting(request)
        try:
            super().process_request(request, client_address)
        except Exception:
            self.serving(request)
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.serving(request)
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up or timed out is not worth a traceback


class MetricsServer(BoundedHTTPServer):
    """``/metrics`` with timeouts and a bound on concurrent connections."""

    allow_reuse_address = True
    evict_after = EVICT_AFTER

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
        # each read and write waits at most for what is left of the request's deadline
        super().__init__((host, port), _Handler, max_clients)
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
