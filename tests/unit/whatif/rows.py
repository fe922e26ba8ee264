"""Hand-built outcome records for the what-if tests."""

from __future__ import annotations

from streams.core.records import Outcome


def outcome(
    ticket: str,
    result: str,
    team: str = "billing",
    target: str = "first_response",
    cycle: int = 0,
    late: float = 0.0,
    stopped: float | None = 0.0,
) -> Outcome:
    """One (ticket, target, cycle) outcome; the fields whatif does not read are fixed.
    ``stopped=None``: breached, and the clock still ran when the history ended."""
    return Outcome(
        ticket_id=ticket,
        target=target,
        cycle=cycle,
        team=team,
        agent="",
        channel="email",
        priority="normal",
        customer_tier="standard",
        category="inquiry",
        policy="default",
        started=0.0,
        deadline=0.0,
        stopped=stopped,
        outcome=result,
        late=late,
    )


# The outcomes of the six tickets that tests/unit/commands/test_whatif.py replays: first
# response within 1h under "current", within 30m under "proposed"; billing t1-t3, tech t4-t6.
#   t1 answered after 20m: met, met
#   t2 answered after 45m: met, breached              <- flips
#   t3 answered after 90m: breached, breached
#   t4 answered after 40m: met, breached              <- flips
#   t5 never answered, history ends 2h05m later: breached, breached
#   t6 never answered, history ends 45m later: none (deadline not passed), breached  <- flips
CURRENT = [
    outcome("t1", "met", late=-2400),
    outcome("t2", "met", late=-900),
    outcome("t3", "breached", late=1800),
    outcome("t4", "met", team="tech", late=-1200),
    outcome("t5", "breached", team="tech", stopped=None),
]
PROPOSED = [
    outcome("t1", "met", late=-600),
    outcome("t2", "breached", late=900),
    outcome("t3", "breached", late=3600),
    outcome("t4", "breached", team="tech", late=600),
    outcome("t5", "breached", team="tech", stopped=None),
    outcome("t6", "breached", team="tech", stopped=None),
]
