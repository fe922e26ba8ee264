"""Forewarnings: which running SLA clocks are about to breach, or have, at an instant.

A clock *warns* from the earlier of two instants: the policy-set's at-risk
share of its target, or the policy's ``warn_before`` lead time before its
deadline — both in the policy's counted time, so a ticket waiting over a
weekend on a business-hours calendar does not warn on Saturday. It *breaches*
at its deadline and *escalates* once it has been breached for
``escalate_after`` seconds. Only running clocks warn: a clock that stops
(response, resolution, abandon, close) or pauses (pending, on hold) resolves
its alert. Pure: the adapters turn these into Alertmanager alerts (streams/alerting).

Named for the domain (a warning ahead of a deadline) rather than ``warnings``, which is
the standard library's module: a reader seeing ``import warnings`` should not wonder which.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass

from streams.core.ticket import INF, Clock, Ticket
from streams.core.vocabulary import TARGETS

WARNING, BREACH, ESCALATION = "warning", "breach", "escalation"
_MARGIN = 1e-3  # seconds, far above the calendar's float rounding (see warn_from)


@dataclass(frozen=True, slots=True)
class ClockWarning:
    """One running clock's alert state at an instant."""

    kind: str  # warning, breach or escalation
    ticket_id: str
    target: str
    team: str
    channel: str
    priority: str
    customer_tier: str
    policy: str
    deadline: float  # when the target is (or was) reached, engine time
    since: float  # when this state began, engine time


def warn_from(ticket: Ticket, target: str, clock: Clock, share: float, now: float = -INF) -> float:
    """The instant a running clock starts to warn (inf when it has no target).

    With ``now``: inf also when that instant is surely after ``now``. Counted time never
    runs faster than the wall, so the instant is at least ``since + remaining``; most
    clocks are far from warning, and the calendar (the costly part, at every scrape for
    every running clock) is then not asked.
    """
    if clock.target is None:
        return INF
    threshold = share * clock.target
    lead = ticket.policy.warn_before.get(target)
    if lead is not None:
        threshold = min(threshold, clock.target - lead)
    remaining = max(0.0, threshold - clock.elapsed)
    if now + _MARGIN < clock.since + remaining:
        return INF
    return ticket.policy.calendar.add(clock.since, remaining)


def clock_warnings(
    tickets: Iterable[Ticket], now: float, share: float, escalate_after: float = INF
) -> list[ClockWarning]:
    """Every running clock of ``tickets`` that warns, breached or escalates at ``now``.

    An escalated clock reports its breach too: the lead keeps the breach alert while the
    manager gets the escalation.
    """
    found: list[ClockWarning] = []
    for ticket in tickets:
        for index, clock in enumerate(ticket.clocks):
            if clock is None or not clock.running or clock.target is None:
                continue
            target = TARGETS[index]
            for kind, since in _states(ticket, target, clock, now, share, escalate_after):
                found.append(
                    ClockWarning(
                        kind,
                        ticket.ticket_id,
                        target,
                        ticket.team,
                        ticket.channel,
                        ticket.priority,
                        ticket.customer_tier,
                        ticket.policy.name,
                        clock.deadline,
                        since,
                    )
                )
    return found


def _states(
    ticket: Ticket, target: str, clock: Clock, now: float, share: float, escalate_after: float
) -> list[tuple[str, float]]:
    deadline = clock.deadline
    if clock.breached or now >= deadline:
        # a clock breached before a pause resumes with no deadline: it stays breached
        if deadline == INF:
            return [(BREACH, clock.since)]
        if now >= deadline + escalate_after:
            return [(BREACH, deadline), (ESCALATION, deadline + escalate_after)]
        return [(BREACH, deadline)]
    start = warn_from(ticket, target, clock, share, now)
    return [(WARNING, start)] if now >= start else []


def upcoming(tickets: Iterable[Ticket], now: float, limit: int = 5) -> list[ClockWarning]:
    """The ``limit`` running clocks whose deadlines come next (not yet passed), soonest first."""
    found = (
        ClockWarning(
            WARNING,
            ticket.ticket_id,
            TARGETS[index],
            ticket.team,
            ticket.channel,
            ticket.priority,
            ticket.customer_tier,
            ticket.policy.name,
            clock.deadline,
            now,
        )
        for ticket in tickets
        for index, clock in enumerate(ticket.clocks)
        if clock is not None and clock.running and not clock.breached and now < clock.deadline < INF
    )
    return heapq.nsmallest(limit, found, key=lambda w: w.deadline)
