"""The tickets behind the weekly report: each team's worst breaches and detractors of the
week, read from the outcomes ledger (docs/ledger.md) when ``servicepulse report`` is given
one (``--ledger`` / ``--data-dir``).

* **Breaches of the week**: outcome rows with ``outcome = breached`` whose ``at`` (a
  breach's deadline: the moment it became a breach) lies in the report's week, Monday 00:00
  to the next Monday 00:00 UTC, half-open. The worst first: by ``late`` (SLA-clock seconds
  past the target when the clock stopped, or so far for a breach still running) descending,
  ties by ticket id, target, cycle.
* **Detractors of the week**: survey rows of the week (``at`` = the answer's event time)
  with an NPS score of 0-6 (the contract's NPS detractors) or a CSAT score of 1-2 (the
  bottom two of five: CSAT counts 4-5 as satisfied, 3 is neutral). CES answers are not
  judged (the contract fixes no direction for its scale). Oldest first: the longest waiting
  for a call-back; ties by event id. "Unanswered" cannot be known from the ledger (it has no
  agent reply after a survey), so these are every detractor of the week.

At most :data:`TICKETS_PER_TEAM` rows of each per team; the counts say how many there were.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from streams.core.records import Outcome, Survey
from streams.ledger.query import Filter
from streams.ledger.schema import known_at
from streams.report.figures import WEEK

TICKETS_PER_TEAM = 5  # breaches and detractors listed per team (the counts say how many more)
# a survey answer is a detractor at or below this score, by kind (CES is not judged)
DETRACTOR_MAX = {"nps": 6, "csat": 2}


def is_detractor(kind: str, score: int) -> bool:
    limit = DETRACTOR_MAX.get(kind)
    return limit is not None and score <= limit


def _breach_order(row: Outcome) -> tuple[float, str, str, int]:
    return (-row.late, row.ticket_id, row.target, row.cycle)


def _detractor_order(row: Survey) -> tuple[float, str]:
    return (row.ts, row.event_id)


@dataclass
class TeamTickets:
    """One team's tickets of the week: the listed rows and how many there were."""

    team: str
    breaches: list[Outcome] = field(default_factory=list)  # worst first, at most the bound
    breach_count: int = 0
    detractors: list[Survey] = field(default_factory=list)  # oldest first, at most the bound
    detractor_count: int = 0


@dataclass
class LedgerWeek:
    """Every team with a breach or a detractor in the week ``[start, start + WEEK)``."""

    start: float
    source: str  # where the rows come from (a path, or a URL without its password)
    teams: dict[str, TeamTickets] = field(default_factory=dict)
    per_team: int = TICKETS_PER_TEAM


def ledger_week(
    outcomes: Iterable[Outcome],
    surveys: Iterable[Survey],
    start: float,
    source: str = "",
    per_team: int = TICKETS_PER_TEAM,
) -> LedgerWeek:
    """The week's tickets per team from ledger records (those outside the week, met
    outcomes and answers that are not detractors are left out here too)."""
    end = start + WEEK
    week = LedgerWeek(start, source, per_team=per_team)
    breaches: dict[str, list[Outcome]] = {}
    for row in outcomes:
        if row.outcome != "breached" or not start <= known_at(row) < end:
            continue
        breaches.setdefault(row.team, []).append(row)
    detractors: dict[str, list[Survey]] = {}
    for answer in surveys:
        if not start <= answer.ts < end or not is_detractor(answer.kind, answer.score):
            continue
        detractors.setdefault(answer.team, []).append(answer)
    for team, rows in breaches.items():
        entry = week.teams.setdefault(team, TeamTickets(team))
        entry.breaches = heapq.nsmallest(per_team, rows, key=_breach_order)
        entry.breach_count = len(rows)
    for team, answers in detractors.items():
        entry = week.teams.setdefault(team, TeamTickets(team))
        entry.detractors = heapq.nsmallest(per_team, answers, key=_detractor_order)
        entry.detractor_count = len(answers)
    return week


def read_week(store: Any, start: float, per_team: int = TICKETS_PER_TEAM) -> LedgerWeek:
    """The week's tickets from a ledger store (``streams.ledger.store.open_store``): the
    week's breaches and survey answers, selected by the ledger's ``at`` column."""
    end = start + WEEK
    outcome_rows: Sequence[Sequence[Any]] = store.select(
        Filter(kind="outcome", outcome="breached", since=start, until=end)
    )
    survey_rows: Sequence[Sequence[Any]] = store.select(
        Filter(kind="survey", since=start, until=end)
    )
    outcomes = (Outcome(*row) for row in outcome_rows)
    surveys = (Survey(*row) for row in survey_rows)
    return ledger_week(outcomes, surveys, start, str(store.where), per_team)
