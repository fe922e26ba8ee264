"""Serving an application with the connection limits of docs/limits.md ("HTTP").

``run`` listens and serves an application (``app.make_app``'s, or the team-lead
receiver's: any that states ``app[LIMITS]``, has ``app[GUARDS]`` and uses
``guard.deadline_middleware``) until SIGTERM/SIGINT, with a deadline for each request
as a whole (not per read: a client trickling a byte at a time cannot hold a
connection), a cap on open connections below the open-file limit (beyond it a new
connection gets ``503`` at once), and accept() errors for lack of descriptors logged
once a minute instead of a traceback each.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import signal
import sys
from collections.abc import Callable
from typing import Any

from aiohttp import web

from streams.errors import UserError
from streams.ingest_http.guard import GUARDS, LIMITS, ConnectionGuard

log = logging.getLogger("servicepulse.ingest_http")

FILE_RESERVE = 64  # descriptors kept for the journal, Kafka, logs: not given to connections
# connections asyncio accepts in one go; those beyond the cap hold a descriptor until their
# 503 is sent, so the cap leaves room for them too
ACCEPT_BACKLOG = 128


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
    limits = app[LIMITS]
    loop = asyncio.get_running_loop()
    cap = connection_cap(limits.max_connections, file_limit())
    if cap < limits.max_connections:
        log.warning(
            "at most %d connections (open-file limit %d): --max-connections %d lowered",
            cap,
            resource.getrlimit(resource.RLIMIT_NOFILE)[0],
            limits.max_connections,
        )
    logging.getLogger("aiohttp.server").addFilter(_AnsweredPayloadErrors())
    runner = web.AppRunner(
        app, access_log=None, keepalive_timeout=limits.request_timeout, shutdown_timeout=10
    )
    await runner.setup()
    assert runner.server is not None
    guard = ConnectionGuard(runner.server, cap, limits.request_timeout)
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
                await asyncio.wait_for(stop.wait(), timeout=max(limits.request_timeout, 1.0))
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
