"""One event, all or nothing: a handler that fails leaves no half-applied state.

The engine applies an event to its ticket after taking a snapshot (the
ticket's fields and its clocks' fields, a few C-level attribute reads) and
buffers the facts it reports; on success the facts go to the real sink, on an
exception the ticket is put back as it was and the facts are dropped. (Inputs
are bounded at intake, so a failure is a bug or an unforeseen corner; the
event is then rejected as ``engine_error`` and the stream goes on.)
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from streams.core.ticket import Ticket

_FIELDS = attrgetter(*Ticket.__slots__)
_CLOCK_FIELDS = ("target", "elapsed", "since", "running", "breached", "deadline", "risk_at")
_CLOCK = attrgetter(*_CLOCK_FIELDS)

Fact = tuple[Callable[..., None], str, tuple[str, ...], float]


class FactBuffer:
    """A ``FactSink`` that keeps the facts of one event until it commits to ``sink``."""

    __slots__ = ("_inc", "_observe", "facts", "sink")

    def __init__(self, sink: Any) -> None:
        self.facts: list[Fact] = []
        self.sink = sink
        self._inc = sink.inc
        self._observe = sink.observe

    def inc(self, metric: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        self.facts.append((self._inc, metric, labels, amount))

    def observe(self, metric: str, labels: tuple[str, ...], value: float) -> None:
        self.facts.append((self._observe, metric, labels, value))

    def labelled(self, labels: tuple[str, ...], targets: tuple[str, ...]) -> None:
        self.facts.append((self._labelled, "", labels, targets))  # type: ignore[arg-type]

    def _labelled(self, _: str, labels: tuple[str, ...], targets: Any) -> None:
        self.sink.labelled(labels, targets)

    def commit(self) -> None:
        for report, metric, labels, value in self.facts:
            report(metric, labels, value)
        self.facts.clear()


Snapshot = tuple[Any, ...]


def snapshot(ticket: Ticket) -> Snapshot:
    """The ticket's fields, its clock objects and their fields (``seen``/``held`` untouched)."""
    c0, c1, c2 = clocks = ticket.clocks
    return (
        _FIELDS(ticket),
        clocks,
        (c0, c1, c2),
        c0 and _CLOCK(c0),
        c1 and _CLOCK(c1),
        c2 and _CLOCK(c2),
    )


def restore(ticket: Ticket, saved: Snapshot) -> None:
    fields, clocks, objects, *clock_fields = saved
    for name, value in zip(Ticket.__slots__, fields, strict=True):
        setattr(ticket, name, value)
    for clock, values in zip(objects, clock_fields, strict=True):
        if clock is not None and values:
            for name, value in zip(_CLOCK_FIELDS, values, strict=True):
                setattr(clock, name, value)
    clocks[:] = objects  # the list itself may have been changed in place
    ticket.clocks = clocks
