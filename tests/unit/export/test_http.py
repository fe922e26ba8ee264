"""The /metrics server answers scrapes despite slow clients and odd paths."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable, Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from streams.export.http import MetricsServer

EXPOSITION = b"# TYPE servicepulse_up gauge\nservicepulse_up 1.0\n"


@pytest.fixture
def server() -> Iterator[MetricsServer]:
    """Room for sequential requests: a handler thread may still hold its slot for a moment
    after its client has read the answer (on a loaded machine, long enough for the next)."""
    srv = MetricsServer("127.0.0.1", 0, lambda: EXPOSITION, timeout=1.0, max_clients=8).start()
    yield srv
    srv.stop()


@pytest.fixture
def two_slot_server() -> Iterator[MetricsServer]:
    srv = MetricsServer("127.0.0.1", 0, lambda: EXPOSITION, timeout=1.0, max_clients=2).start()
    yield srv
    srv.stop()


def get(srv: MetricsServer, path: str, method: str = "GET") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_metrics_path_serves_a_parsable_exposition(server: MetricsServer) -> None:
    status, body = get(server, "/metrics")
    assert status == 200
    (family,) = text_string_to_metric_families(body.decode())
    assert family.samples[0].value == 1.0


def test_unknown_paths_are_404_and_other_methods_405(server: MetricsServer) -> None:
    assert get(server, "/")[0] == 404
    assert get(server, "/metricsx")[0] == 404
    assert get(server, "/../../etc/passwd")[0] == 404
    assert get(server, "/metrics", "POST")[0] == 405
    assert get(server, "/health")[0] == 200


def test_slow_clients_neither_block_scrapes_nor_hold_threads_forever(
    two_slot_server: MetricsServer,
) -> None:
    server = two_slot_server
    slow = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(2)]
    for sock in slow:
        sock.sendall(b"GET /metr")  # and then nothing: a slowloris
    # once both slots are taken, a third client is told so at once, not left hanging
    assert until(lambda: get(server, "/metrics") == (503, b"busy\n"), within=0.9)
    for sock in slow:
        sock.settimeout(10)
        assert sock.recv(100) == b""  # the 1 s timeout closed it
        sock.close()
    assert until(lambda: get(server, "/metrics")[0] == 200, within=10)


def until(condition: Callable[[], bool], within: float) -> bool:
    """Whether ``condition`` holds within ``within`` seconds (asked every 20 ms)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
