"""Executive weekly board: constants shared by its rows."""

from __future__ import annotations

from dashboards import queries as q
from dashboards.lib import Target

UID = "servicepulse-executive-weekly"
FASTER = {"p50": "half of the tickets were faster", "p90": "9 in 10 tickets were faster"}
THIS_WEEK = "Last 7 days"
WEEK_BEFORE = "7 days before"
INTRO = """\
**Last 7 days against the 7 days before.** Each tile shows this week's figure next to the
week before. Green meets the goal, orange is below it, red needs attention; the goal of each
figure is in the description beside its title. Times are SLA-clock times (business hours of
the SLA policy, paused periods excluded). A week with no data yet shows "no data yet".
"""


def weekly(expr: str) -> list[Target]:
    """This week's and the previous week's value of an expression over a 7-day window."""
    return [
        Target(expr, THIS_WEEK, instant=True),
        Target(q.week_before(expr), WEEK_BEFORE, instant=True),
    ]
