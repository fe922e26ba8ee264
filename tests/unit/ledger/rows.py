"""Hand-made ledger records for the tests: a small week of one helpdesk.

Times are UTC (tests.support.at). The figures each test expects are computed by hand from
these rows, in comments next to the assertions.
"""

from __future__ import annotations

from streams.core.records import Outcome, Record, Review, Stint, Survey
from tests.support import at

MON = at("2026-11-23 09:00")


def outcome(ticket: str, target: str = "first_response", **fields: object) -> Outcome:
    """An outcome of ``ticket``: by default met, billing's, 15 min target started Monday 09:00."""
    base: dict[str, object] = {
        "ticket_id": ticket,
        "target": target,
        "cycle": 0,
        "team": "billing",
        "agent": "ana",
        "channel": "email",
        "priority": "normal",
        "customer_tier": "standard",
        "category": "inquiry",
        "policy": "default",
        "started": MON,
        "deadline": MON + 900,
        "stopped": MON + 300,
        "outcome": "met",
        "late": -600.0,
    }
    base.update(fields)
    return Outcome(**base)  # type: ignore[arg-type]


# t1 met (stopped 09:05); t2 breached at its deadline 09:15 and answered 09:20, 300 s late;
# t3 breached, still running (stopped None) in technical; t4 met resolution on Tuesday.
T1 = outcome("t1")
T2 = outcome("t2", agent="bo", stopped=MON + 1200, outcome="breached", late=300.0)
T3 = outcome(
    "t3", team="technical", agent="", stopped=None, outcome="breached", late=0.0,
    started=MON + 3600, deadline=MON + 4500,
)  # fmt: skip
T4 = outcome(
    "t4", "resolution", started=MON, deadline=MON + 86400 * 2, stopped=MON + 86400,
    late=-86400.0,
)  # fmt: skip
STINT = Stint("t2", 0, "billing", MON, MON + 1800, "transfer", 1800.0, 3600.0, "met", "default")
STINT_HELD = Stint(
    "t2", 1, "technical", MON + 1800, None, "", 7200.0, 3600.0, "breached", "default"
)
SURVEY = Survey("s1", "t1", MON + 7200, "billing", "ana", "email", "csat", 2)
REVIEW = Review("q1", "t2", MON + 86400, "billing", "bo", "rita", 87.5)
ALL: list[Record] = [T1, T2, T3, T4, STINT, STINT_HELD, SURVEY, REVIEW]
