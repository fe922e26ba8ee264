"""Backlog gauges derived from the open tickets at one instant (pure, on demand)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
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


def derive_gauges(
    open_tickets: Iterable[Ticket], now: float, at_risk_share: float, held: int
) -> Gauges:
    """Count backlog, unanswered, oldest (unanswered), at-risk and breached-open at ``now``."""
    result = Gauges(orphan_events=held)
    oldest = result.oldest_created
    oldest_unanswered = result.oldest_unanswered_created
    for ticket in open_tickets:
        team = ticket.team
        result.open_tickets[(team, ticket.priority, ticket.customer_tier)] += 1
        result.open_by_channel[(team, ticket.channel)] += 1
        if not ticket.answered:
            result.unanswered[team] += 1
            if not ticket.paused and ticket.created_ts < oldest_unanswered.get(team, INF):
                oldest_unanswered[team] = ticket.created_ts
        if ticket.created_ts < oldest.get(team, INF):
            oldest[team] = ticket.created_ts
        for target, clock in zip(TARGETS, ticket.clocks, strict=True):
            if clock is None or clock.target is None:
                continue
            if clock.breached or (clock.running and now > clock.deadline):
                result.breached_open[(team, target)] += 1
            elif _at_risk(ticket, clock, now, at_risk_share):
                result.at_risk[(team, target)] += 1
    return result


def _at_risk(ticket: Ticket, clock: Clock, now: float, share: float) -> bool:
    """Past the at-risk share of its target (the instant cached until the clock moves)."""
    assert clock.target is not None
    threshold = share * clock.target
    if not clock.running:
        return False  # the contract's at-risk clocks are running ones; a paused clock waits
    if clock.risk_at is None:  # cached until the clock pauses or resumes
        remaining = max(0.0, threshold - clock.elapsed)
        clock.risk_at = ticket.policy.calendar.add(clock.since, remaining)
    return now >= clock.risk_at
