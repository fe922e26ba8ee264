"""Executive weekly board, row "Quality, hand-offs and sample sizes"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import windows as win
from dashboards.boards.executive_weekly.common import pair_bars, tile
from dashboards.boards.executive_weekly.figures import complaints_in_time
from dashboards.lib import COUNT
from dashboards.targets import (
    QA_FLOOR,
    QA_GOAL,
    REOPEN_BAD,
    REOPEN_WARN,
    SlaTargets,
    human,
)


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Quality, hand-offs and sample sizes"))
    d = d.with_panel(
        pair_bars(
            "Survey answers",
            "How many CSAT, NPS and CES answers the satisfaction figures rest on, this week "
            "and the week before (purple): a score from a handful of answers moves with every "
            "answer.",
            lambda w: win.count(win.SURVEYS, w, ("kind",)),
            "{{kind}}",
            unit=COUNT,
            steps=lib.neutral(),
        )
    )
    d = d.with_panel(
        tile(
            "Reopen rate",
            f"Reopens / resolutions. Goal below {REOPEN_WARN:.0%}; red from {REOPEN_BAD:.0%}. "
            "Lower is better.",
            lib.lower_is_better(REOPEN_WARN, REOPEN_BAD),
        )
    )
    d = d.with_panel(
        tile(
            "Hand-offs",
            "Tickets transferred between teams. No goal (blue); fewer hand-offs count as better.",
            lib.neutral(),
        )
    )
    d = d.with_panel(
        tile(
            "QA score",
            f"Mean quality-assurance scorecard result (0-100). Goal {QA_GOAL:g}; red below "
            f"{QA_FLOOR:g}. Higher is better.",
            lib.higher_is_better(QA_GOAL, QA_FLOOR),
        )
    )
    resolution = sla.default.get("resolution", 3 * 86400.0)
    goal, floor = sla.objective("resolution")
    d = d.with_panel(
        tile(
            "Complaints resolved in time",
            f"Share of the complaints resolved within the resolution target of the default "
            f"policy ({human(resolution)}, SLA-clock time). Objective {goal:.0%} (the "
            f"resolution objective); red below {floor:.0%}. Higher is better.",
            lib.higher_is_better(goal, floor),
            figure=complaints_in_time(resolution),
        )
    )
    return d
