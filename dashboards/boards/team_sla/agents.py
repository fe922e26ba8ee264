"""Team lead SLA board, row "Agents": one line per agent of the team."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import COUNT, RATIO, SECONDS, Target
from dashboards.targets import (
    CSAT_FLOOR,
    CSAT_GOAL,
    FCR_FLOOR,
    FCR_GOAL,
    QA_FLOOR,
    QA_GOAL,
    SlaTargets,
)

RULE = "team_agent:servicepulse_agent_"


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    def column(header: str, rule: str, unit: str, steps: tuple[lib.Step, ...]) -> tuple:
        return (header, Target(q.agent_column(RULE + rule), table=True), unit, steps)

    d = d.with_row(lib.row("Agents"))
    d = d.with_panel(
        lib.table_panel(
            "Agents, last 7 days",
            "Per agent of the team over the last 7 days: first responses and their mean "
            "time, resolutions, first-contact resolution, CSAT and its number of answers, QA "
            "score and handle time per resolution, busiest agent first. Agents beyond the "
            "policy file's roster or cap are counted as `other`.",
            [
                column("First responses", "first_responses:increase7d", COUNT, lib.neutral()),
                column(
                    "Mean first response",
                    "first_response_seconds:mean_rate7d",
                    SECONDS,
                    sla.time_steps("first_response"),
                ),
                column("Resolutions", "resolutions:increase7d", COUNT, lib.neutral()),
                column("FCR", "fcr:ratio_rate7d", RATIO, lib.higher_is_better(FCR_GOAL, FCR_FLOOR)),
                column(
                    "CSAT", "csat:ratio_rate7d", RATIO, lib.higher_is_better(CSAT_GOAL, CSAT_FLOOR)
                ),
                column("CSAT answers", "csat_responses:increase7d", COUNT, lib.neutral()),
                column(
                    "QA score",
                    "qa_score:mean_rate7d",
                    COUNT,
                    lib.higher_is_better(QA_GOAL, QA_FLOOR),
                ),
                column("Handle time", "handle_seconds:mean_rate7d", SECONDS, lib.neutral()),
            ],
            key="agent",
            h=9,
            # increase() extrapolates to the window's edges: counts are whole numbers
            decimals={"First responses": 0, "Resolutions": 0, "CSAT answers": 0},
            sort_by="First responses",
            descending=True,
        )
    )
    return d
