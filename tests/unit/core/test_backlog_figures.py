"""The per-scrape backlog passes give what their plain definitions give.

``derive_gauges`` and ``deadline_figures`` run over every open ticket at every scrape and
were tuned for it (one pass, the calendar skipped for clocks far from warning); here they
are compared, on a simulated contact centre at many instants, with straightforward
implementations of the definitions: ``clock_warnings``/``next_deadlines`` per clock and
``calendar.add`` for every warning instant.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from streams.core.ticket import INF, Ticket
from streams.core.vocabulary import TARGETS
from streams.core.warnings import WARNING, clock_warnings, deadline_figures, next_deadlines
from streams.simulator import ContactCentre, SimConfig
from tests.support import RecordingSink, at

POLICY: dict[str, Any] = {
    "calendars": {
        "office": {
            "timezone": "Europe/Berlin",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "hours": ["09:00", "18:00"],
        },
    },
    "at_risk": 0.7,
    "policies": [
        {
            "name": "fast",
            "match": {"priority": "urgent"},
            "targets": {"first_response": "10m", "next_reply": "20m", "resolution": "2h"},
            "warn_before": {"first_response": "5m"},
        },
        {
            "name": "office",
            "calendar": "office",
            "targets": {"first_response": "1h", "next_reply": "2h", "resolution": "1d"},
            "warn_before": {"resolution": "6h"},
        },
    ],
}
START = at("2026-11-20T15:00:00Z")  # a Friday afternoon: the office calendar closes soon


def busy_engine() -> Engine:
    engine = Engine(parse_policy(POLICY), RecordingSink())
    config = SimConfig(seed=3, arrivals_per_hour=900, flat_arrivals=True)
    for n, event in enumerate(ContactCentre(config, START).events()):
        engine.ingest(orjson.dumps(event), event_clock=True)
        if n >= 6000:
            break
    return engine


def reference_deadlines(tickets: list[Ticket], now: float, share: float) -> tuple[Any, ...]:
    warning: dict[tuple[str, ...], int] = defaultdict(int)
    breached: dict[tuple[str, ...], int] = defaultdict(int)
    for found in clock_warnings(tickets, now, share):
        key = (found.team, found.target, found.priority, found.customer_tier)
        (warning if found.kind == WARNING else breached)[key] += 1
    return dict(warning), dict(breached), next_deadlines(tickets, now)


def reference_warnings(tickets: list[Ticket], now: float, share: float) -> set[tuple[str, str]]:
    """(ticket, target) of every running, unbreached clock past its warning instant."""
    found = set()
    for ticket in tickets:
        for index, clock in enumerate(ticket.clocks):
            if clock is None or not clock.running or clock.target is None:
                continue
            if clock.breached or now >= clock.deadline:
                continue
            threshold = share * clock.target
            lead = ticket.policy.warn_before.get(TARGETS[index])
            if lead is not None:
                threshold = min(threshold, clock.target - lead)
            start = ticket.policy.calendar.add(clock.since, max(0.0, threshold - clock.elapsed))
            if now >= start:
                found.add((ticket.ticket_id, TARGETS[index]))
    return found


def reference_gauges(tickets: list[Ticket], now: float, share: float) -> dict[str, Any]:
    backlog: dict[Any, int] = defaultdict(int)
    at_risk: dict[Any, int] = defaultdict(int)
    breached: dict[Any, int] = defaultdict(int)
    oldest: dict[str, float] = {}
    for ticket in tickets:
        backlog[(ticket.team, ticket.priority, ticket.customer_tier)] += 1
        oldest[ticket.team] = min(oldest.get(ticket.team, INF), ticket.created_ts)
        for index, clock in enumerate(ticket.clocks):
            if clock is None or clock.target is None:
                continue
            key = (ticket.team, TARGETS[index])
            if clock.breached or (clock.running and now > clock.deadline):
                breached[key] += 1
            elif clock.running:
                remaining = max(0.0, share * clock.target - clock.elapsed)
                if now >= ticket.policy.calendar.add(clock.since, remaining):
                    at_risk[key] += 1
    return {"open": dict(backlog), "at_risk": dict(at_risk), "breached": dict(breached),
            "oldest": oldest}  # fmt: skip


def test_deadline_figures_and_gauges_equal_their_definitions_at_every_instant() -> None:
    engine = busy_engine()
    tickets = list(engine.open.values())
    share = engine.policies.at_risk
    assert len(tickets) > 300
    seen_warning = seen_breached = 0
    for minutes in range(-60, 4 * 24 * 60, 71):
        now = engine.now + minutes * 60.0
        figures = deadline_figures(tickets, now, share)
        warning, breached, nearest = reference_deadlines(tickets, now, share)
        assert (figures.warning, figures.breached, figures.next_deadline) == (
            warning,
            breached,
            nearest,
        ), minutes
        gauges = engine.gauges(now)
        expected = reference_gauges(tickets, now, share)
        assert dict(gauges.open_tickets) == expected["open"]
        assert dict(gauges.at_risk) == expected["at_risk"], minutes
        assert dict(gauges.breached_open) == expected["breached"], minutes
        assert gauges.oldest_created == expected["oldest"]
        seen_warning += sum(warning.values())
        seen_breached += sum(breached.values())
    assert seen_warning > 0 and seen_breached > 0  # both branches were exercised


def test_the_calendar_shortcut_never_hides_a_warning() -> None:
    engine = busy_engine()
    tickets = list(engine.open.values())
    share = engine.policies.at_risk
    for minutes in range(0, 3 * 24 * 60, 23):
        now = engine.now + minutes * 60.0
        got = {
            (w.ticket_id, w.target)
            for w in clock_warnings(tickets, now, share)
            if w.kind == WARNING
        }
        assert got == reference_warnings(tickets, now, share), minutes


def test_one_pass_backlog_equals_the_gauges_and_deadline_figures_apart() -> None:
    engine = busy_engine()
    engine.ingest(  # a held event: counted as an orphan
        orjson.dumps(
            {
                "event_id": "x1",
                "type": "message.customer",
                "ticket_id": "NOPE",
                "ts": "2026-11-20T15:00:00Z",
            }
        ),
        event_clock=True,
    )
    for minutes in range(-60, 4 * 24 * 60, 97):
        now = engine.now + minutes * 60.0
        gauges, figures = engine.backlog(now)
        assert gauges == engine.gauges(now), minutes
        assert figures == engine.deadline_figures(now), minutes
    assert gauges.orphan_events == 1
