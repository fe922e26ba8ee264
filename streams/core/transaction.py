"""One event, all or nothing: a handler that fails leaves no half-applied state.

The engine applies an event to a copy-on-write snapshot of its ticket and
buffers the facts it reports; on success the facts go to the real sink, on an
exception the ticket is put back as it was and the facts are dropped. (Inputs
are bounded at intake, so a failure is a bug or an unforeseen corner; the
event is then rejected as ``engine_error`` and the stream goes on.)
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from streams.core.ticket import Clock, Ticket

_FIELDS = attrgetter(*Ticket.__slots__)
_CLOCKS = Ticket.__slots__.index("clocks")


class FactBuffer:
    """A ``FactSink`` that keeps the facts of one event until it commits."""

    __slots__ = ("facts",)

    def __init__(self) -> None:
        self.facts: list[tuple[bool, str, tuple[str, ...], float]] = []

    def inc(self, metric: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        self.facts.append((False, metric, labels, amount))

    def observe(self, metric: str, labels: tuple[str, ...], value: float) -> None:
        self.facts.append((True, metric, labels, value))

    def commit(self, sink: Any) -> None:
        for observed, metric, labels, value in self.facts:
            if observed:
                sink.observe(metric, labels, value)
            else:
                sink.inc(metric, labels, value)
        self.facts.clear()


def _copy_clock(clock: Clock | None) -> Clock | None:
    if clock is None:
        return None
    copy = Clock(clock.target, clock.since, clock.elapsed)
    copy.running = clock.running
    copy.breached = clock.breached
    copy.deadline = clock.deadline
    copy.risk_at = clock.risk_at
    return copy


def snapshot(ticket: Ticket) -> list[Any]:
    """The ticket's fields (clocks copied; ``seen`` and ``held`` are not touched by handlers)."""
    values = list(_FIELDS(ticket))
    values[_CLOCKS] = [_copy_clock(c) for c in ticket.clocks]
    return values


def restore(ticket: Ticket, values: list[Any]) -> None:
    for name, value in zip(Ticket.__slots__, values, strict=True):
        setattr(ticket, name, value)
