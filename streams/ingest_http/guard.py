"""The connection limits of an aiohttp server (docs/limits.md, "HTTP").

``ConnectionGuard`` is the protocol factory ``server.serve_app`` listens with: at most
``cap`` connections open (beyond it a new one is answered ``503`` at once, nothing
read) and a deadline for each request as a whole, not per read: the request must have
arrived ``timeout`` seconds after its connection opened or its previous answer was
given, else the connection is closed (a client trickling a byte at a time cannot hold
it). ``deadline_middleware`` hands each request its deadline (``request[DEADLINE]``, loop
time), which a handler reading a body observes itself. An application states its
limits in ``app[LIMITS]``; ``serve`` and ``ingest`` (``app.make_app``) and the team-lead
receiver of the local stack (``deploy/stack/team_lead.py``) share this code.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

log = logging.getLogger("servicepulse.ingest_http")


@dataclass(frozen=True)
class Limits:
    """Of one application: open connections at most, seconds to receive a whole request."""

    max_connections: int
    request_timeout: float


LIMITS = web.AppKey("connection_limits", Limits)
# the ConnectionGuard of the running server, once server.serve_app made it (the app is frozen)
GUARDS: web.AppKey[list[Any]] = web.AppKey("connection_guards", list)
DEADLINE = "servicepulse.deadline"  # request key: loop time by which the request is received

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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


@web.middleware
async def deadline_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The request's deadline: set when its connection opened or answered the previous
    request (``ConnectionGuard``), else from now; the body must be read by then."""
    guards = request.app.get(GUARDS)
    if not guards:
        return await handler(request)
    guard = guards[0]
    request[DEADLINE] = guard.enter(request.protocol)
    try:
        return await handler(request)
    finally:
        guard.leave(request.protocol)
