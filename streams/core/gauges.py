"""Backlog gauges derived from the open tickets at one instant (pure, on demand)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

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


def derive_gauges(
    open_tickets: Iterable[Ticket], now: float, at_risk_share: float, held: int
) -> Gauges:
    """Count backlog, unanswered, oldest (unanswered), at-risk and breached-open at ``now``.

    Runs at every scrape over every open ticket, hence the local names.
    """
    result = Gauges(orphan_events=held)
    backlog = result.open_tickets
    by_channel = result.open_by_channel
    unanswered = result.unanswered
    oldest = result.oldest_created
    oldest_unanswered = result.oldest_unanswered_created
    at_risk = result.at_risk
    breached_open = result.breached_open
    for ticket in open_tickets:
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
            if clock is None or clock.target is None:
                continue
            if clock.breached or (clock.running and now > clock.deadline):
                breached_open[(team, TARGETS[index])] += 1
            elif clock.running and now >= risk_at(ticket, clock, at_risk_share):
                at_risk[(team, TARGETS[index])] += 1
    return result


def risk_at(ticket: Ticket, clock: Clock, share: float) -> float:
    """When a running clock passes the at-risk share of its target (cached until it moves).

    The contract's at-risk clocks are running ones; a paused clock waits.
    """
    instant = clock.risk_at
    if instant is None:  # cached until the clock pauses or resumes
        assert clock.target is not None
        remaining = max(0.0, share * clock.target - clock.elapsed)
        instant = clock.risk_at = ticket.policy.calendar.add(clock.since, remaining)
    return instant
