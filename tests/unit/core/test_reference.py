"""The engine against an independent, deliberately simple reference.

The reference knows nothing of ``Calendar``, ``Clock`` or the deadline heap: it walks the
history minute by minute, asks "is this minute inside business hours (local time of the
calendar's zone, weekday, not a holiday)?", and counts the minute when the ticket is open
and not paused. Event times are whole minutes, so the walk is exact. A hypothesis property
test replays random ticket histories through both and compares the first response and
resolution figures (SLA-clock seconds) and the met/breached outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from tests.support import RecordingSink, at, created, event, reply

MINUTE = 60
HOLIDAYS = ("2026-12-24", "2026-12-25", "2027-01-01")
POLICY: dict[str, Any] = {
    "calendars": {
        "berlin-office": {
            "timezone": "Europe/Berlin",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "hours": ["09:00", "18:00"],
            "holidays": list(HOLIDAYS),
        },
    },
    "policies": [
        {
            "name": "vip",
            "match": {"customer_tier": "vip"},
            "calendar": "always",
            "targets": {"first_response": "1h", "resolution": "8h"},
        },
        {
            "name": "office",
            "match": {},
            "calendar": "berlin-office",
            "targets": {"first_response": "4h", "resolution": "1d"},
        },
    ],
}
TARGETS = {"vip": (3600, 8 * 3600), "standard": (4 * 3600, 86400)}


def business_minute(start: int, tier: str) -> bool:
    """Is the minute starting at POSIX second ``start`` counted by the tier's calendar?"""
    if tier == "vip":
        return True  # "always"
    local = datetime.fromtimestamp(start, ZoneInfo("Europe/Berlin"))
    return (
        local.weekday() < 5
        and time(9, 0) <= local.time() < time(18, 0)
        and local.date() not in {date.fromisoformat(d) for d in HOLIDAYS}
    )


@dataclass
class Reference:
    """First response and resolution of one ticket, recomputed minute by minute."""

    tier: str
    created: int
    counting: bool = True  # open and not paused
    state: str = "open"
    first_response: int | None = None  # counted seconds when its clock stopped
    first_response_observed: bool = False
    resolution_total: int = 0  # counted seconds over every open period so far
    resolutions: list[int] = field(default_factory=list)
    fr_elapsed: int = 0  # counted seconds of the first-response clock while it runs
    last: int = 0

    def __post_init__(self) -> None:
        self.last = self.created

    def walk(self, until: int) -> int:
        """Count the minutes from the last event to ``until``; returns the seconds counted."""
        counted = 0
        if self.counting:
            for minute in range(self.last, until, MINUTE):
                if business_minute(minute, self.tier):
                    counted += MINUTE
        self.last = until
        return counted

    def apply(self, kind: str, ts: int) -> str | None:
        """Returns the rejection the engine should give, or None."""
        step = self.walk(ts)
        self.resolution_total += step if self.state == "open" else 0
        fr_running = self.first_response is None and not self.resolutions
        if fr_running:
            self.fr_elapsed += step
        if kind == "reply":
            if fr_running:
                self.first_response = self.fr_elapsed
                self.first_response_observed = True
        elif kind in ("pending", "on_hold"):
            if self.state == "open":
                self.counting = False
        elif kind in ("open", "customer"):
            if self.state == "open":
                self.counting = True
        elif kind == "resolved":
            if self.state != "open":
                return "invalid_state"
            if fr_running:
                self.first_response = self.fr_elapsed  # stopped by the resolution, no figure
            self.resolutions.append(self.resolution_total)
            self.state, self.counting = "resolved", False
        elif kind == "reopened":
            if self.state != "resolved":
                return "invalid_state"
            self.state, self.counting = "open", True
        return None


KINDS = ("reply", "pending", "on_hold", "open", "customer", "resolved", "reopened")
histories = st.tuples(
    st.sampled_from(["vip", "standard"]),
    # created: a minute within Dec 2026 - Mar 2027 (holidays, the DST change of 28 March)
    st.integers(0, 130 * 24 * 60).map(lambda m: int(at("2026-12-01 00:00")) + m * MINUTE),
    st.lists(
        st.tuples(st.sampled_from(KINDS), st.integers(1, 3 * 24 * 60)), min_size=1, max_size=10
    ),
    st.integers(1, 4 * 24 * 60),  # minutes from the last event to the end of the replay
)


def engine_event(kind: str, ts: int) -> dict[str, Any]:
    if kind == "reply":
        return reply("t", float(ts))
    if kind in ("pending", "on_hold", "open"):
        return event("ticket.status", "t", float(ts), status=kind)
    if kind == "customer":
        return event("message.customer", "t", float(ts))
    return event(f"ticket.{kind}", "t", float(ts))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories)
def test_engine_figures_equal_a_minute_by_minute_recomputation(history: Any) -> None:
    tier, start, steps, tail = history
    fr_target, res_target = TARGETS[tier]
    labels = ("billing", "email", "normal", tier)
    sink = RecordingSink()
    engine = Engine(parse_policy(POLICY), sink)
    ref = Reference(tier, start)
    assert (
        engine.ingest(created("t", float(start), customer_tier=tier), event_clock=True).reason
        is None
    )
    ts = start
    for kind, gap in steps:
        ts += gap * MINUTE
        expected = ref.apply(kind, ts)
        assert engine.ingest(engine_event(kind, ts), event_clock=True).reason == expected, kind
    end = ts + tail * MINUTE
    ref.apply("tick", end)  # the open clocks' counted time up to the end of the replay
    engine.advance(float(end))

    # the figures: SLA-clock seconds, as the reference counted them
    fr_seen = [value for _, value in sink.observed("first_response_seconds")]
    assert fr_seen == ([ref.first_response] if ref.first_response_observed else [])
    assert [value for _, value in sink.observed("resolution_seconds")] == ref.resolutions
    assert all(lab == labels for lab, _ in sink.observed("resolution_seconds"))

    # the outcomes: breached when the counted time went past the target, met when it stopped
    # short of it; exactly on target is left out (met or breached depends on whether the
    # deadline instant itself was passed, which minutes cannot tell)
    fr_value = ref.first_response if ref.first_response is not None else ref.fr_elapsed
    cycles = list(ref.resolutions)
    if ref.state == "open":
        cycles.append(ref.resolution_total)  # the running cycle: breached once past target
    assume(fr_value != fr_target and res_target not in cycles)
    outcomes = sink.outcomes()
    fr_stopped = ref.first_response is not None
    assert outcomes[("first_response", "breached")] == (fr_value > fr_target)
    assert outcomes[("first_response", "met")] == (fr_stopped and fr_value < fr_target)
    stopped = len(ref.resolutions)
    assert outcomes[("resolution", "breached")] == sum(v > res_target for v in cycles)
    assert outcomes[("resolution", "met")] == sum(v < res_target for v in cycles[:stopped])


def test_the_reference_counts_business_minutes_by_hand() -> None:
    # Fri 2026-12-18 17:00 CET (16:00 UTC) -> Mon 21st 10:00 CET (09:00 UTC): 1 h + 1 h
    ref = Reference("standard", int(at("2026-12-18 16:00")))
    assert ref.apply("reply", int(at("2026-12-21 09:00"))) is None
    assert ref.first_response == 7200
    # Wed 23rd 17:00 CET -> Mon 28th 10:00 CET over two holidays and a weekend: 1 h + 1 h
    ref = Reference("standard", int(at("2026-12-23 16:00")))
    ref.apply("pending", int(at("2026-12-28 08:30")))  # 1 h + 30 min (Mon 09:00-09:30 CET)
    ref.apply("open", int(at("2026-12-28 10:00")))  # 11:00 CET: paused 1 h
    ref.apply("resolved", int(at("2026-12-28 11:00")))  # + 1 h
    assert ref.resolutions == [3600 + 1800 + 3600]
