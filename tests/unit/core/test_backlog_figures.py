"""The per-scrape backlog pass gives what the plain definitions of its figures give.

``backlog_figures`` (streams/core/backlog.py) runs over every open ticket at every scrape
and is tuned for it: one pass, local counters, the at-risk instant cached on the clock, the
calendar skipped for clocks far from warning. Here the figures are defined plainly (a loop a
figure, ``calendar.add`` asked for every instant, no cache) and the pass must equal them:
over random tickets (hypothesis), over a simulated contact centre at many instants, and
beside the ticket alerts (``clock_warnings``) the boards must agree with.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.core.backlog import backlog_figures
from streams.core.calendar import ALWAYS, Calendar
from streams.core.engine import Engine
from streams.core.forewarnings import WARNING, clock_warnings
from streams.core.policy import Policy, parse_policy
from streams.core.ticket import INF, Clock, Ticket
from streams.core.vocabulary import TARGETS
from streams.simulator import ContactCentre, SimConfig
from tests.support import RecordingSink, at, created

# ---- the plain definitions (the oracle) ------------------------------------------------------


def risk_instant(ticket: Ticket, clock: Clock, share: float) -> float:
    """A running clock is at risk from the at-risk share of its target, in counted time."""
    assert clock.target is not None
    return ticket.policy.calendar.add(clock.since, max(0.0, share * clock.target - clock.elapsed))


def warning_instant(ticket: Ticket, target: str, clock: Clock, share: float) -> float:
    """It warns from the earlier of the at-risk share and ``warn_before`` before the deadline."""
    assert clock.target is not None
    threshold = share * clock.target
    lead = ticket.policy.warn_before.get(target)
    if lead is not None:
        threshold = min(threshold, clock.target - lead)
    return ticket.policy.calendar.add(clock.since, max(0.0, threshold - clock.elapsed))


def plain_gauges(tickets: list[Ticket], now: float, share: float, held: int) -> dict[str, Any]:
    """The backlog gauges, one figure at a time."""
    teams = {t.team for t in tickets}
    count: dict[str, dict[Any, int]] = {
        "open_tickets": defaultdict(int),
        "open_by_channel": defaultdict(int),
        "unanswered": defaultdict(int),
        "at_risk": defaultdict(int),
        "breached_open": defaultdict(int),
    }
    for t in tickets:
        count["open_tickets"][(t.team, t.priority, t.customer_tier)] += 1
        count["open_by_channel"][(t.team, t.channel)] += 1
        if not t.answered:
            count["unanswered"][t.team] += 1
    oldest = {team: min(t.created_ts for t in tickets if t.team == team) for team in teams}
    waiting = [t for t in tickets if not t.answered and not t.paused]
    oldest_unanswered = {
        team: min(t.created_ts for t in waiting if t.team == team)
        for team in {t.team for t in waiting}
    }
    for t in tickets:
        for target, clock in zip(TARGETS, t.clocks, strict=True):
            if clock is None or clock.target is None:
                continue
            if clock.breached or (clock.running and now > clock.deadline):
                count["breached_open"][(t.team, target)] += 1
            elif clock.running and now >= risk_instant(t, clock, share):
                count["at_risk"][(t.team, target)] += 1
    return {
        **{name: dict(values) for name, values in count.items()},
        "oldest_created": oldest,
        "oldest_unanswered_created": oldest_unanswered,
        "orphan_events": held,
    }


def plain_deadline_figures(tickets: list[Ticket], now: float, share: float) -> dict[str, Any]:
    """Warning and breached running clocks by priority and tier; the next future deadline."""
    warning: dict[tuple[str, ...], int] = defaultdict(int)
    breached: dict[tuple[str, ...], int] = defaultdict(int)
    nearest: dict[tuple[str, str], float] = {}
    for t in tickets:
        for target, clock in zip(TARGETS, t.clocks, strict=True):
            if clock is None or not clock.running:
                continue
            key = (t.team, target, t.priority, t.customer_tier)
            if clock.target is not None:
                if clock.breached or now >= clock.deadline:
                    breached[key] += 1
                elif now >= warning_instant(t, target, clock, share):
                    warning[key] += 1
            if not clock.breached and now < clock.deadline < INF:
                left = clock.deadline - now
                nearest[(t.team, target)] = min(left, nearest.get((t.team, target), INF))
    return {"warning": dict(warning), "breached": dict(breached), "next_deadline": nearest}


COUNTED = (
    "open_tickets",
    "open_by_channel",
    "unanswered",
    "at_risk",
    "breached_open",
    "oldest_created",
    "oldest_unanswered_created",
)


def one_pass(tickets: list[Ticket], now: float, share: float, held: int) -> tuple[dict, dict]:
    gauges, figures = backlog_figures(tickets, now, share, held)
    got_gauges: dict[str, Any] = {name: dict(getattr(gauges, name)) for name in COUNTED}
    got_gauges["orphan_events"] = gauges.orphan_events
    got_figures = {
        "warning": figures.warning,
        "breached": figures.breached,
        "next_deadline": figures.next_deadline,
    }
    return got_gauges, got_figures


# ---- random tickets ---------------------------------------------------------------------------

START = at("2026-11-20T15:00:00Z")  # a Friday afternoon: the office calendar closes soon
OFFICE = Calendar("office", "Europe/Berlin", hours=("09:00", "18:00"), holidays=("2026-11-23",))
TARGET_SETS = (
    {"first_response": 600.0, "next_reply": 1200.0, "resolution": 7200.0},
    {"first_response": 3600.0, "resolution": 86400.0},
)
POLICIES = (
    Policy("fast", {}, ALWAYS, TARGET_SETS[0], {"first_response": 300.0}),
    Policy("plain", {}, ALWAYS, TARGET_SETS[1]),
    Policy("office", {}, OFFICE, TARGET_SETS[0], {"resolution": 1800.0}),
    Policy("office-lead", {}, OFFICE, TARGET_SETS[1], {"first_response": 3000.0}),
)
SECONDS = st.integers(0, 6 * 86400).map(float) | st.floats(0, 6 * 86400, allow_nan=False)


@st.composite
def clocks(draw: st.DrawFn, policy: Policy, target: str) -> Clock | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    limit = policy.targets.get(target)
    measured = None if limit is None or draw(st.integers(0, 9)) == 0 else limit
    elapsed = draw(st.floats(0, 2 * (measured or 3600), allow_nan=False))
    clock = Clock(measured, START + draw(SECONDS), elapsed)
    if draw(st.booleans()):
        clock.resume(clock.since, policy.calendar)  # running: its deadline follows
    if draw(st.integers(0, 4)) == 0:
        clock.breached = "billing"  # breached earlier (running or paused; deadline kept)
    return clock


@st.composite
def tickets(draw: st.DrawFn, n: int) -> Ticket:
    ticket = Ticket(f"t{n}")
    ticket.policy = draw(st.sampled_from(POLICIES))
    ticket.team = draw(st.sampled_from(("billing", "sales", "other")))
    ticket.channel = draw(st.sampled_from(("email", "chat")))
    ticket.priority = draw(st.sampled_from(("urgent", "normal")))
    ticket.customer_tier = draw(st.sampled_from(("vip", "standard")))
    ticket.created_ts = START - draw(SECONDS)
    ticket.answered, ticket.paused = draw(st.booleans()), draw(st.booleans())
    for target in range(len(TARGETS)):
        ticket.set_clock(target, draw(clocks(ticket.policy, TARGETS[target])))
    return ticket


@st.composite
def backlogs(draw: st.DrawFn) -> list[Ticket]:
    return [draw(tickets(n)) for n in range(draw(st.integers(0, 12)))]


@settings(max_examples=150, deadline=None)
@given(
    backlog=backlogs(),
    offsets=st.lists(SECONDS.map(lambda s: s - 86400), min_size=1, max_size=4),
    share=st.sampled_from((0.5, 0.8, 0.95)),
    held=st.integers(0, 3),
)
def test_the_one_pass_equals_the_plain_definitions_over_random_tickets(
    backlog: list[Ticket], offsets: list[float], share: float, held: int
) -> None:
    # several instants over the same tickets (the at-risk instant cached on a clock by one
    # scrape must serve the next), among them the boundaries: a deadline, an at-risk instant
    running = [(t, c) for t in backlog for c in t.clocks if c and c.running and c.target]
    edges = [c.deadline for _, c in running if c.deadline < INF][:2]
    edges += [risk_instant(t, c, share) for t, c in running][:2]
    for now in [START + offset for offset in offsets] + edges:
        expected = (
            plain_gauges(backlog, now, share, held),
            plain_deadline_figures(backlog, now, share),
        )
        assert one_pass(backlog, now, share, held) == expected, now


# ---- a simulated contact centre ---------------------------------------------------------------


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


def busy_engine() -> Engine:
    engine = Engine(parse_policy(POLICY), RecordingSink())
    config = SimConfig(seed=3, arrivals_per_hour=900, flat_arrivals=True)
    for n, event in enumerate(ContactCentre(config, START).events()):
        engine.ingest(orjson.dumps(event), event_clock=True)
        if n >= 6000:
            break
    return engine


def test_the_one_pass_equals_the_plain_definitions_and_the_alerts_at_every_instant() -> None:
    engine = busy_engine()
    tickets = list(engine.open.values())
    share = engine.policies.at_risk
    assert len(tickets) > 300
    seen_warning = seen_breached = seen_at_risk = 0
    for minutes in range(-60, 4 * 24 * 60, 71):
        now = engine.now + minutes * 60.0
        gauges, figures = one_pass(tickets, now, share, engine.held_events)
        assert gauges == plain_gauges(tickets, now, share, engine.held_events), minutes
        assert figures == plain_deadline_figures(tickets, now, share), minutes
        # the boards count what the alerts say
        alerts: dict[str, dict[tuple[str, ...], int]] = {"warning": {}, "breached": {}}
        for found in clock_warnings(tickets, now, share):
            kind = "warning" if found.kind == WARNING else "breached"
            key = (found.team, found.target, found.priority, found.customer_tier)
            alerts[kind][key] = alerts[kind].get(key, 0) + 1
        assert (figures["warning"], figures["breached"]) == (alerts["warning"], alerts["breached"])
        seen_warning += sum(figures["warning"].values())
        seen_breached += sum(figures["breached"].values())
        seen_at_risk += sum(gauges["at_risk"].values())
    assert seen_warning and seen_breached and seen_at_risk  # every branch was exercised


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


def test_the_next_deadline_is_the_nearest_future_one_per_team_and_target() -> None:
    vip = {"customer_tier": "vip", "priority": "urgent"}
    policy = {
        "policies": [
            {"name": "vip", "match": vip, "targets": {"first_response": "15m", "resolution": "4h"}}
        ]
    }
    engine = Engine(parse_policy(policy), RecordingSink())
    for raw in (
        created("a", "2026-11-23 10:00", **vip),
        created("b", "2026-11-23 10:05", **vip),
        created("c", "2026-11-23 10:00", team="sales", **vip),
    ):
        assert engine.ingest(raw, event_clock=True).reason is None
    now = at("2026-11-23 10:16")
    engine.advance(now)
    nearest = engine.backlog(now)[1].next_deadline
    # a is past its 10:15 deadline; b's is 10:20 -> 4m; resolution 14:00 (a) before 14:05 (b)
    assert nearest == {
        ("billing", "first_response"): 240.0,
        ("billing", "resolution"): at("2026-11-23 14:00") - now,  # 3h44m
        ("sales", "resolution"): at("2026-11-23 14:00") - now,  # c's first response breached
    }
