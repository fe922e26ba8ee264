"""Ticket-level records: the rows behind every figure (the outcomes ledger).

The engine reports aggregates to a ``FactSink`` (no ticket ids: labels are bounded). Next to
that it can hand a ``RecordSink`` one record per fact a team lead drills into: an SLA outcome,
a team stint (with its OLA outcome), a survey answer, a QA review. The ledger adapters
(streams/ledger) store them; ``whatif`` counts them in memory.

A record is keyed (see ``key``) so that a store can upsert: the same outcome reported twice
(a breach when its deadline passes, then again when the late reply stops the clock, with how
late it finally was; a worker's redelivery after a restart) leaves one row, the latest.

Times are Unix seconds (event time); SLA-clock durations are seconds of counted calendar time.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol


class Outcome(NamedTuple):
    """One (ticket, target, cycle) SLA outcome: met or breached."""

    ticket_id: str
    target: str  # first_response / next_reply / resolution
    cycle: int  # 0 for the target's first clock on the ticket; +1 per later clock
    team: str
    agent: str  # the agent who stopped the clock, else the assignee; "" when none
    channel: str
    priority: str
    customer_tier: str
    category: str
    policy: str
    started: float  # when this cycle's clock started
    deadline: float | None  # when the target was (or would be) reached; None: paused at the end
    stopped: float | None  # when the clock stopped; None: breached and still running
    outcome: str  # met / breached
    late: float  # SLA-clock seconds past the target at ``stopped`` (or now); negative: early


class Stint(NamedTuple):
    """How long one team held a ticket: from creation or a hand-off to the next or the end."""

    ticket_id: str
    seq: int  # 0 for the ticket's first stint; +1 per later one
    team: str
    started: float
    ended: float | None  # None: the team still holds it
    ended_by: str  # transfer / resolved / closed / abandoned; "" while held
    seconds: float  # SLA-clock time held (the policy's calendar, pauses excluded) so far
    ola: float | None  # the team's OLA target in seconds; None when not measured
    outcome: str  # met / breached against the OLA; "" while held and not breached, or unmeasured
    policy: str


class Survey(NamedTuple):
    """One survey answer (keyed by its event id)."""

    event_id: str
    ticket_id: str
    ts: float
    team: str
    agent: str  # credited as the per-agent figures credit it (agents.py); "" when none
    channel: str
    kind: str  # csat / nps / ces
    score: int


class Review(NamedTuple):
    """One QA scorecard result (keyed by its event id)."""

    event_id: str
    ticket_id: str
    ts: float
    team: str
    agent: str
    reviewer: str  # "" when not given
    score: float


Record = Outcome | Stint | Survey | Review


def key(record: Record) -> tuple[str, str, int]:
    """The record's identity in a store: a later record with the same key replaces it."""
    if isinstance(record, Outcome):
        return (record.ticket_id, record.target, record.cycle)
    if isinstance(record, Stint):
        return (record.ticket_id, "stint", record.seq)
    kind = "survey" if isinstance(record, Survey) else "review"
    return (record.ticket_id, f"{kind}:{record.event_id}", 0)


class RecordSink(Protocol):
    """Where the engine hands its records, in the order the facts became known."""

    def record(self, record: Record) -> None: ...


class RecordList:
    """A ``RecordSink`` that keeps the latest record per key, in memory (tests, ``whatif``)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, int], Record] = {}

    def record(self, record: Record) -> None:
        self.rows[key(record)] = record

    def of(self, kind: type) -> list[Record]:
        return [row for row in self.rows.values() if isinstance(row, kind)]


__all__ = ["Outcome", "Record", "RecordList", "RecordSink", "Review", "Stint", "Survey", "key"]
