"""Serving the ingestion application: the connection limits of docs/limits.md ("HTTP").

``run`` listens and serves ``app.make_app``'s application until SIGTERM/SIGINT, with
a deadline for each request as a whole (not per read: a client trickling a byte at a
time cannot hold a connection), a cap on open connections below the open-file limit
(beyond it a new connection gets ``503`` at once), and accept() errors for lack of
descriptors logged once a minute instead of a traceback each.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from streams.errors import UserError
from streams.ingest_http.app import GUARDS, INGESTION

log = logging.getLogger("servicepulse.ingest_http")

FILE_RESERVE = 64  # descriptors kept for the journal, Kafka, logs: not given to connections
# connections asyncio accepts in one go; those beyond the cap hold a descriptor until their
# 503 is sent, so the cap leaves room for them too
ACCEPT_BACKLOG = 128


class _Refuse(asyncio.Protocol):
    """A connection beyond the cap: ``503`` at once, then closed; nothing is read."""

    ANSWER = (
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
        b"Content-Length: 34\r\nConnection: close\r\n\r\n"
        b"too many connections; retry later\n"
    )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(self.ANSWER)
        transport.close()


class ConnectionGuard:
    """Connections of one aiohttp server: at most ``cap`` open (beyond, ``_Refuse``), and
    each closed unless its next request has arrived ``timeout`` seconds after the
    connection opened or its previous answer was given (idle, slow or silent clients)."""

    def __init__(self, server: web.Server, cap: int, timeout: float) -> None:
        self.server = server
        self.cap = cap
        self.timeout = timeout
        self.loop = asyncio.get_running_loop()
        self.timers: dict[Any, asyncio.TimerHandle] = {}
        # made by the factory, connection_made not called yet (asyncio calls it soon after)
        self.opening: set[Any] = set()
        self.refused = 0  # since the last log line
        self._last_log = -1e9

    def factory(self) -> asyncio.Protocol:
        if len(self.server.connections) + len(self.opening) >= self.cap:
            self.refused += 1
            self.note_refusal()
            return _Refuse()
        handler = self.server()
        self.opening.add(handler)
        # scheduled before the transport schedules connection_made: both run before the
        # next accept, which is a later callback
        self.loop.call_soon(self.opening.discard, handler)
        self._arm(handler, self.loop.time() + self.timeout)
        return handler

    def note_refusal(self, what: str = "connections") -> None:
        """One log line a minute at most, however many are refused."""
        now = time.monotonic()
        if now - self._last_log >= 60:
            log.warning(
                "%d %s refused in the last minute: at most %d connections (--max-connections)",
                self.refused,
                what,
                self.cap,
            )
            self._last_log = now
            self.refused = 0

    def _arm(self, handler: Any, when: float) -> None:
        old = self.timers.pop(handler, None)
        if old is not None:
            old.cancel()
        self.timers[handler] = self.loop.call_at(when, self._expire, handler)

    def _expire(self, handler: Any) -> None:
        self.timers.pop(handler, None)
        transport = handler.transport
        if transport is not None and not transport.is_closing():
            handler.force_close()
            transport.close()

    def enter(self, handler: Any) -> float:
        """A request arrived: its deadline (the timer's time); the timer is stopped while it is
        served (the body read observes the deadline itself)."""
        timer = self.timers.pop(handler, None)
        if timer is None:
            return self.loop.time() + self.timeout
        timer.cancel()
        return timer.when()

    def leave(self, handler: Any) -> None:
        """Answered: the next request on the connection has ``timeout`` from now."""
        if handler.transport is not None and not handler.transport.is_closing():
            self._arm(handler, self.loop.time() + self.timeout)

    def forget_closed(self) -> None:
        """Drop the timers of connections that closed by themselves."""
        live = set(self.server.connections) | self.opening
        for handler in [h for h in self.timers if h not in live]:
            self.timers.pop(handler).cancel()


class _AnsweredPayloadErrors(logging.Filter):
    """aiohttp reads what is left of a request body after its answer ("lingering") and logs
    the body's decoding error again, with a traceback: the client already had its 400."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, web.RequestPayloadError)


def file_limit() -> int:
    """Raise the soft limit of open files to the hard one (as Go programs do); the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def connection_cap(wanted: int, files: int) -> int:
    """``wanted``, but never more than the descriptors left after ``FILE_RESERVE`` and a
    backlog of connections accepted to be refused."""
    return max(1, min(wanted, files - FILE_RESERVE - ACCEPT_BACKLOG))


async def serve_app(app: web.Application, host: str, port: int, ready: Callable[[], None]) -> None:
    """Serve ``app`` until cancelled or SIGTERM/SIGINT, with the guard's limits."""
    ingestion = app[INGESTION]
    loop = asyncio.get_running_loop()
    cap = connection_cap(ingestion.max_connections, file_limit())
    if cap < ingestion.max_connections:
        log.warning(
            "at most %d connections (open-file limit %d): --max-connections %d lowered",
            cap,
            resource.getrlimit(resource.RLIMIT_NOFILE)[0],
            ingestion.max_connections,
        )
    logging.getLogger("aiohttp.server").addFilter(_AnsweredPayloadErrors())
    runner = web.AppRunner(
        app, access_log=None, keepalive_timeout=ingestion.request_timeout, shutdown_timeout=10
    )
    await runner.setup()
    assert runner.server is not None
    guard = ConnectionGuard(runner.server, cap, ingestion.request_timeout)
    app[GUARDS].append(guard)
    loop.set_exception_handler(_quiet_accept_errors(guard))
    try:
        server = await loop.create_server(
            guard.factory, host, port, reuse_address=True, backlog=ACCEPT_BACKLOG
        )
    except OSError:
        await runner.cleanup()
        raise
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    ready()
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=max(ingestion.request_timeout, 1.0))
            except TimeoutError:
                guard.forget_closed()
    finally:
        server.close()
        await runner.cleanup()


def _quiet_accept_errors(guard: ConnectionGuard) -> Callable[[Any, dict[str, Any]], None]:
    """Out of descriptors at accept(): one log line a minute, not a traceback a connection
    (asyncio retries the accept a moment later by itself)."""

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in (
            errno.EMFILE,
            errno.ENFILE,
            errno.ENOBUFS,
            errno.ENOMEM,
        ):
            guard.refused += 1
            guard.note_refusal(f"connections (accept: {exc.strerror})")
            return
        loop.default_exception_handler(context)

    return handler


def run(app: web.Application, host: str, port: int, banner: str) -> int:
    """Say where it listens (one line on stderr), then serve until stopped."""

    def ready() -> None:
        print(banner, file=sys.stderr, flush=True)

    try:
        asyncio.run(serve_app(app, host, port, ready))
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    except KeyboardInterrupt:
        pass
    return 0
