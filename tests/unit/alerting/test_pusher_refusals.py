"""An Alertmanager refusing an alert (400/413/422) loses that alert only; failures are retried.

A tiny HTTP server stands in for Alertmanager: it answers a scripted status, or ``422``
to any push holding the ticket ``bad`` (as Alertmanager refuses a whole push for one
invalid alert), and records the ticket ids it accepted.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import streams.alerting.pusher as pusher_module
from streams.alerting.pusher import AlertPusher
from tests.unit.alerting.test_pusher import clock


class FakeAlertmanager:
    def __init__(self) -> None:
        self.accepted: list[str] = []  # ticket ids, in the order received
        self.requests = 0
        self.script: list[int] = []  # statuses to answer first, whatever the body
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                ids = [alert["labels"]["ticket_id"] for alert in body]
                with outer.lock:
                    outer.requests += 1
                    status = outer.script.pop(0) if outer.script else None
                    if status is None:
                        status = 422 if "bad" in ids else 200
                    if status == 200:
                        outer.accepted.extend(ids)
                answer = b"{}" if status == 200 else b"invalid alert\nsecond line"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def alertmanager() -> Iterator[FakeAlertmanager]:
    fake = FakeAlertmanager()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def idle(pusher: AlertPusher) -> bool:
    return not pusher._pending and not pusher._busy


def test_one_refused_alert_is_dropped_and_counted_while_the_rest_and_later_chunks_go(
    alertmanager: FakeAlertmanager, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    monkeypatch.setattr(pusher_module, "CHUNK", 2)
    pusher = AlertPusher([alertmanager.url], resend=3600.0)
    try:
        pusher.update([clock(t) for t in ("a", "bad", "c", "d", "e")], 950.0, wall_now=10_000.0)
        wait_for(lambda: pusher.dropped == 1 and idle(pusher))
        time.sleep(1.5)  # a retry would come within the first backoff (0.5 s): none comes
    finally:
        pusher.close()
    assert sorted(alertmanager.accepted) == ["a", "c", "d", "e"]
    # chunks [a, bad] [c, d] [e]: [a, bad] refused, then [a] and [bad] alone -> 5 requests
    assert alertmanager.requests == 5
    assert (pusher.sent, pusher.dropped, pusher.errors) == (4, 1, 0)
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 1 and "\n" not in dropped[0]
    assert "ticket bad" in dropped[0] and "422" in dropped[0]


@pytest.mark.parametrize("status", [400, 413])
def test_other_content_refusals_are_dropped_too(
    alertmanager: FakeAlertmanager, status: int
) -> None:
    alertmanager.script = [status]  # the first push (one alert) is refused
    pusher = AlertPusher([alertmanager.url], resend=3600.0)
    try:
        pusher.update([clock("a")], 950.0, wall_now=10_000.0)
        wait_for(lambda: pusher.dropped == 1 and idle(pusher))
    finally:
        pusher.close()
    assert alertmanager.accepted == [] and alertmanager.requests == 1


def test_a_server_error_is_retried_until_the_alerts_are_delivered(
    alertmanager: FakeAlertmanager,
) -> None:
    alertmanager.script = [503, 500]  # two failed pushes, then Alertmanager is back
    pusher = AlertPusher([alertmanager.url], resend=3600.0)
    try:
        pusher.update([clock("a"), clock("b")], 950.0, wall_now=10_000.0)
        wait_for(lambda: sorted(alertmanager.accepted) == ["a", "b"])
    finally:
        pusher.close()
    assert alertmanager.requests == 3
    assert (pusher.sent, pusher.dropped, pusher.errors) == (2, 0, 2)


def test_an_unreachable_alertmanager_keeps_its_alerts_for_later() -> None:
    fake = FakeAlertmanager()
    url = fake.url
    fake.server.shutdown()
    fake.server.server_close()  # nothing listens there now
    pusher = AlertPusher([url], resend=3600.0)
    try:
        pusher.update([clock("a")], 950.0, wall_now=10_000.0)
        wait_for(lambda: pusher.errors >= 2)  # tried, and tried again
        assert pusher.dropped == 0 and pusher.sent == 0
    finally:
        pusher.close(flush=0.0)
