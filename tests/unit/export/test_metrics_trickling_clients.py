"""Clients trickling a byte at a time cannot hold the demo's /metrics server.

Each read of such a client arrives well within any per-read timeout; the server's
deadline is for the whole request, so they are cut, and scrapes go through meanwhile.
"""

from __future__ import annotations

import http.client
import select
import socket
import time
from collections.abc import Iterator

import pytest

from streams.export.http import MetricsServer


@pytest.fixture
def server() -> Iterator[MetricsServer]:
    srv = MetricsServer("127.0.0.1", 0, lambda: b"x 1\n", timeout=1.0, max_clients=2).start()
    yield srv
    srv.stop()


def scrape(srv: MetricsServer) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    try:
        conn.request("GET", "/metrics")
        return conn.getresponse().status
    finally:
        conn.close()


def test_tricklers_on_every_slot_are_cut_and_scrapes_still_answer(server: MetricsServer) -> None:
    """2 connections (every slot) send their request line a byte every 0.3 s for up to 10 s;
    with a 1 s deadline for the whole request they are closed after about 1 s (at most
    6 s on a loaded machine); a scrape meanwhile is answered at once, one after is 200."""
    request = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 100
    slow = {socket.create_connection(("127.0.0.1", server.port)): request for _ in range(2)}
    started = time.monotonic()
    closed: list[float] = []
    scrapes: list[int] = []
    while slow and time.monotonic() - started < 10:
        readable, _, _ = select.select(list(slow), [], [], 0.3)
        for sock in readable:
            closed.append(time.monotonic() - started)
            del slow[sock]
            sock.close()
        for sock, rest in list(slow.items()):
            try:
                sock.sendall(rest[:1])
            except OSError:
                closed.append(time.monotonic() - started)
                del slow[sock]
                sock.close()
                continue
            slow[sock] = rest[1:]
        if time.monotonic() - started > 0.5 and not scrapes:
            scrapes.append(scrape(server))  # answered at once, not left hanging
    for sock in slow:
        sock.close()
    assert len(closed) == 2 and max(closed) < 6, closed
    assert scrapes and scrapes[0] in (200, 503)  # 503: both slots taken, neither idle 1 s yet
    assert scrape(server) == 200
