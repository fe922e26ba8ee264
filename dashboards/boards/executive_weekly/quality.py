"""Executive weekly board, row "Quality, hand-offs and sample sizes" (issue 14, part of item 3)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.boards.executive_weekly.common import weekly
from dashboards.lib import COUNT, RATIO, Target
from dashboards.targets import (
    ATTAINMENT_FLOOR,
    ATTAINMENT_OBJECTIVE,
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
        lib.stat_panel(
            "Survey answers",
            "How many CSAT, NPS and CES answers the satisfaction figures of the last 7 days "
            "rest on: a score from a handful of answers moves with every answer.",
            [Target(q.survey_answers("7d"), "{{kind}}", instant=True)],
            unit=COUNT,
            steps=lib.neutral(),
            decimals=0,
            w=6,
            h=6,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Reopen rate",
            f"Reopens / resolutions. Goal below {REOPEN_WARN:.0%}; red from {REOPEN_BAD:.0%}.",
            weekly(q.reopen_rate_7d()),
            unit=RATIO,
            steps=lib.lower_is_better(REOPEN_WARN, REOPEN_BAD),
            decimals=1,
            w=4,
            h=6,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Hand-offs",
            "Tickets transferred between teams.",
            weekly(q.transfers_7d()),
            unit=COUNT,
            steps=lib.neutral(),
            decimals=0,
            w=4,
            h=6,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "QA score",
            f"Mean quality-assurance scorecard result (0-100). Goal {QA_GOAL:g}; red below "
            f"{QA_FLOOR:g}.",
            weekly(q.qa_score_7d()),
            unit=COUNT,
            steps=lib.higher_is_better(QA_GOAL, QA_FLOOR),
            decimals=1,
            w=4,
            h=6,
        )
    )
    resolution = sla.default.get("resolution", 3 * 86400.0)
    d = d.with_panel(
        lib.stat_panel(
            "Complaints resolved in time",
            f"Share of the complaints resolved within the resolution target of the default "
            f"policy ({human(resolution)}, SLA-clock time). Objective "
            f"{ATTAINMENT_OBJECTIVE:.0%}; red below {ATTAINMENT_FLOOR:.0%}.",
            weekly(q.complaints_in_time_7d(resolution)),
            unit=RATIO,
            steps=lib.higher_is_better(ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR),
            decimals=1,
            w=6,
            h=6,
        )
    )
    return d
