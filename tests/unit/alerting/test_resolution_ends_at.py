"""What AlertPusher POSTs: an active alert ends four resends ahead, a gone one ends now.

Alertmanager resolves an alert whose ``endsAt`` has passed, so the alert of a clock
that stopped goes once more with ``endsAt`` = the wall clock of that update; an active
one is re-sent with ``endsAt`` = now + 4 x resend, so it stays firing between resends.
The POSTs go to a real HTTP server on loopback that records their bodies.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from streams.alerting.pusher import AlertPusher
from streams.core.forewarnings import WARNING, ClockWarning
from tests.processes import free_port


class Receiver(ThreadingHTTPServer):
    """Alertmanager's v2 alerts endpoint, reduced to recording what it is sent."""

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.alerts: list[dict[str, Any]] = []

    def sent(self, ticket: str) -> list[dict[str, Any]]:
        return [a for a in self.alerts if a["labels"]["ticket_id"] == ticket]


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.alerts.extend(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(free_port())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def clock(ticket: str) -> ClockWarning:
    # a first-response warning due at engine time 1000, warned since 900
    return ClockWarning(
        WARNING, ticket, "first_response", "billing", "chat", "normal", "standard", "default",
        1000.0, 900.0,
    )  # fmt: skip


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the pusher sent nothing in time"
        time.sleep(0.02)


def test_an_alert_whose_clock_stopped_is_sent_once_more_ending_at_that_update(
    receiver: Receiver,
) -> None:
    pusher = AlertPusher([f"http://127.0.0.1:{receiver.server_port}"], resend=60.0)
    try:
        pusher.update([clock("a"), clock("b")], 950.0, wall_now=10_000.0)
        wait_for(lambda: len(receiver.alerts) == 2)
        pusher.update([clock("b")], 951.0, wall_now=10_030.0)  # a answered: its clock stopped
        wait_for(lambda: len(receiver.sent("a")) == 2)
    finally:
        pusher.close()
    first, resolved = receiver.sent("a")
    # 10,000 s after the epoch is 02:46:40; active: + 4 x 60 s = 02:50:40
    assert first["endsAt"] == "1970-01-01T02:50:40Z"
    # the resolution ends at the wall clock of the update that found it gone: 10,030 s
    assert resolved["endsAt"] == "1970-01-01T02:47:10Z"
    # b is unchanged and no resend is due at 10,030 (< 10,000 + 60): sent once only
    assert len(receiver.sent("b")) == 1


def test_a_resent_alert_ends_four_resends_after_the_resend(receiver: Receiver) -> None:
    pusher = AlertPusher([f"http://127.0.0.1:{receiver.server_port}"], resend=60.0)
    try:
        pusher.update([clock("a")], 950.0, wall_now=10_000.0)
        wait_for(lambda: len(receiver.alerts) == 1)
        pusher.update([clock("a")], 960.0, wall_now=10_060.0)  # the resend is due
        wait_for(lambda: len(receiver.alerts) == 2)
    finally:
        pusher.close()
    # 10,060 + 240 = 10,300 s = 02:51:40
    assert [a["endsAt"] for a in receiver.alerts] == [
        "1970-01-01T02:50:40Z",
        "1970-01-01T02:51:40Z",
    ]
