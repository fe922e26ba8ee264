"""The backlog at one instant: what a scrape shows of the open tickets, in one pass.

:func:`backlog_figures` counts, at ``now``, the open tickets (by team, priority and tier; by
channel), the unanswered ones and the oldest (unanswered) per team, the clocks at risk and
breached while open per (team, target), and, beside the ticket alerts, the clocks warning
and breached by priority and tier and the time to each team's next deadline. It runs at
every scrape over every open ticket, so it reads each ticket and clock once, keeps the
counters in local names, and asks the calendar only for a clock's at-risk instant (cached
on the clock until it pauses or resumes) or, with a ``warn_before`` lead time, for a clock
close to warning (:func:`streams.core.forewarnings.warn_from`).

The plain definitions it must equal (a loop per figure, the calendar asked every time) are
the oracle of tests/unit/core/test_backlog_figures.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from streams.core.forewarnings import warn_from
from streams.core.ticket import INF, Clock, Ticket
from streams.core.vocabulary import TARGETS


@dataclass
class Gauges:
    """The engine's state-derived figures at one instant."""

    open_tickets: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    open_by_channel: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    unanswered: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    oldest_created: dict[str, float] = field(default_factory=dict)
    # created time of the oldest open ticket with no public response that is not paused
    oldest_unanswered_created: dict[str, float] = field(default_factory=dict)
    at_risk: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    breached_open: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    orphan_events: int = 0
    agents: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (team, status)


@dataclass
class DeadlineFigures:
    """Time to breach and warning/breach counts with priority and tier (bounded labels)."""

    next_deadline: dict[tuple[str, str], float]  # (team, target) -> seconds
    warning: dict[tuple[str, str, str, str], int]  # (team, target, priority, tier) -> clocks
    breached: dict[tuple[str, str, str, str], int]


def backlog_figures(
    tickets: Iterable[Ticket], now: float, share: float, held: int
) -> tuple[Gauges, DeadlineFigures]:
    """The backlog gauges and the deadline figures at ``now``, in one pass over the tickets.

    ``share`` is the policy set's at-risk share, ``held`` the events held for tickets not
    created yet (the ``orphan_events`` gauge). Only running clocks are at risk or warn (a
    paused clock waits); a clock breached earlier counts as breached while its ticket is open.
    """
    result = Gauges(orphan_events=held)
    backlog = result.open_tickets
    by_channel = result.open_by_channel
    unanswered = result.unanswered
    oldest = result.oldest_created
    oldest_unanswered = result.oldest_unanswered_created
    at_risk = result.at_risk
    breached_open = result.breached_open
    warning: dict[tuple[str, str, str, str], int] = {}
    breached: dict[tuple[str, str, str, str], int] = {}
    nearest: dict[tuple[str, str], float] = {}
    for ticket in tickets:
        team = ticket.team
        backlog[(team, ticket.priority, ticket.customer_tier)] += 1
        by_channel[(team, ticket.channel)] += 1
        created = ticket.created_ts
        if not ticket.answered:
            unanswered[team] += 1
            if not ticket.paused and created < oldest_unanswered.get(team, INF):
                oldest_unanswered[team] = created
        if created < oldest.get(team, INF):
            oldest[team] = created
        for index, clock in enumerate(ticket.clocks):
            if clock is None:
                continue
            running = clock.running
            deadline = clock.deadline
            if clock.target is not None:
                risk = INF
                if clock.breached or (running and now > deadline):
                    breached_open[(team, TARGETS[index])] += 1
                elif running:
                    risk = _risk_at(ticket, clock, share)
                    if now >= risk:
                        at_risk[(team, TARGETS[index])] += 1
                if not running:
                    continue
                if clock.breached or now >= deadline:
                    key = (team, TARGETS[index], ticket.priority, ticket.customer_tier)
                    breached[key] = breached.get(key, 0) + 1
                else:
                    # Without a lead time the warning instant is the at-risk instant
                    # (same share, same formula), cached on the clock: no calendar.
                    target = TARGETS[index]
                    lead = ticket.policy.warn_before.get(target)
                    if lead is None:
                        warns = now >= risk
                    else:
                        warns = now >= warn_from(ticket, target, clock, share, now)
                    if warns:
                        key = (team, target, ticket.priority, ticket.customer_tier)
                        warning[key] = warning.get(key, 0) + 1
            elif not running:
                continue
            if clock.breached or deadline == INF or deadline <= now:
                continue
            near = (team, TARGETS[index])
            left = deadline - now
            if left < nearest.get(near, INF):
                nearest[near] = left
    return result, DeadlineFigures(nearest, warning, breached)


def derive_gauges(tickets: Iterable[Ticket], now: float, at_risk_share: float, held: int) -> Gauges:
    """The gauges of :func:`backlog_figures` alone (``Engine.gauges``)."""
    return backlog_figures(tickets, now, at_risk_share, held)[0]


def deadline_figures(tickets: Iterable[Ticket], now: float, share: float) -> DeadlineFigures:
    """The deadline figures of :func:`backlog_figures` alone (``Engine.deadline_figures``)."""
    return backlog_figures(tickets, now, share, 0)[1]


def _risk_at(ticket: Ticket, clock: Clock, share: float) -> float:
    """When a running clock passes the at-risk share of its target (cached until it moves).

    The contract's at-risk clocks are running ones; a paused clock waits.
    """
    instant = clock.risk_at
    if instant is None:  # cached until the clock pauses or resumes
        assert clock.target is not None
        remaining = max(0.0, share * clock.target - clock.elapsed)
        instant = clock.risk_at = ticket.policy.calendar.add(clock.since, remaining)
    return instant
