"""What AlertPusher.update hands its sender: new alerts at once, resolutions, re-sends."""

from __future__ import annotations

from streams.alerting.pusher import AlertPusher
from streams.core.forewarnings import BREACH, WARNING, ClockWarning


def clock(ticket: str, kind: str = WARNING) -> ClockWarning:
    return ClockWarning(
        kind,
        ticket,
        "first_response",
        "billing",
        "chat",
        "normal",
        "standard",
        "default",
        1000.0,
        900.0,
    )


def test_new_alerts_go_at_once_and_unchanged_ones_wait_for_the_resend() -> None:
    pusher = AlertPusher([], resend=60.0)
    try:
        assert pusher.update([clock("a"), clock("b")], 950.0, wall_now=10_000.0) == 2
        assert pusher.update([clock("a"), clock("b")], 951.0, wall_now=10_001.0) == 0
        assert pusher.update([clock("a"), clock("b")], 960.0, wall_now=10_060.0) == 2  # resend
    finally:
        pusher.close()


def test_a_stopped_clock_is_resolved_and_a_ticket_that_left_the_process_is_forgotten() -> None:
    pusher = AlertPusher([], resend=3600.0)
    try:
        pusher.update([clock("a"), clock("b"), clock("c")], 950.0, wall_now=10_000.0)
        # a answered (still known here): resolved; c moved to another worker: forgotten
        queued = pusher.update([clock("b")], 951.0, 10_001.0, known=lambda t: t != "c")
        assert queued == 1
        assert set(pusher.active) == {("b", "first_response", WARNING)}
        # a warning that becomes a breach: the breach is new, the warning resolved
        assert pusher.update([clock("b", BREACH)], 1001.0, 10_002.0) == 2
    finally:
        pusher.close()
