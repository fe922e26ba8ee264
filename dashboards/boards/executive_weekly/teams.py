"""Executive weekly board, row "Teams"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import COUNT, RATIO, SECONDS, Target
from dashboards.targets import (
    ATTAINMENT_FLOOR,
    ATTAINMENT_OBJECTIVE,
    CES_FLOOR,
    CES_GOAL,
    CSAT_FLOOR,
    CSAT_GOAL,
    FCR_FLOOR,
    FCR_GOAL,
    NPS_FLOOR,
    NPS_GOAL,
    SlaTargets,
)


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Teams"))
    d = d.with_panel(
        lib.table_panel(
            "Teams, last 7 days",
            "One row per support team: contacts, satisfaction, first-contact resolution, SLA "
            "attainment and the median response and resolution times of the last 7 days. "
            "Coloured by the goals of the tiles above.",
            [
                (
                    "Contacts",
                    Target(q.by_team("team:servicepulse_tickets_created:increase7d"), table=True),
                    COUNT,
                    lib.neutral(),
                ),
                (
                    "CSAT",
                    Target(q.by_team("team:servicepulse_csat:ratio_rate7d"), table=True),
                    RATIO,
                    lib.higher_is_better(CSAT_GOAL, CSAT_FLOOR),
                ),
                (
                    "NPS",
                    Target(q.by_team("team:servicepulse_nps:score_rate7d"), table=True),
                    COUNT,
                    lib.higher_is_better(NPS_GOAL, NPS_FLOOR),
                ),
                (
                    "CES",
                    Target(q.by_team("team:servicepulse_ces:mean_rate7d"), table=True),
                    COUNT,
                    lib.higher_is_better(CES_GOAL, CES_FLOOR),
                ),
                (
                    "FCR",
                    Target(q.by_team("team:servicepulse_fcr:ratio_rate7d"), table=True),
                    RATIO,
                    lib.higher_is_better(FCR_GOAL, FCR_FLOOR),
                ),
                (
                    "SLA attainment",
                    Target(
                        "sum by (team) "
                        '(team_target_outcome:servicepulse_sla_outcomes:increase7d{outcome="met"})'
                        " / sum by (team) "
                        "(team_target_outcome:servicepulse_sla_outcomes:increase7d)",
                        table=True,
                    ),
                    RATIO,
                    lib.higher_is_better(ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR),
                ),
                (
                    "First response, median",
                    Target(
                        q.by_team("team:servicepulse_first_response_seconds:p50_rate7d"), table=True
                    ),
                    SECONDS,
                    sla.time_steps("first_response"),
                ),
                (
                    "Resolution, median",
                    Target(
                        q.by_team("team:servicepulse_resolution_seconds:p50_rate7d"), table=True
                    ),
                    SECONDS,
                    sla.time_steps("resolution"),
                ),
            ],
            key="team",
            h=7,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "CSAT and SLA attainment, day by day",
            f"Rolling 24-hour CSAT and SLA attainment over the two weeks shown. Dashed lines: "
            f"{ATTAINMENT_FLOOR:.0%} and {ATTAINMENT_OBJECTIVE:.0%}.",
            [
                Target(":servicepulse_csat:ratio_rate1d", "CSAT"),
                Target(
                    'sum(target_outcome:servicepulse_sla_outcomes:increase1d{outcome="met"})'
                    " / sum(target_outcome:servicepulse_sla_outcomes:increase1d)",
                    "SLA attainment",
                ),
            ],
            unit=RATIO,
            steps=lib.higher_is_better(ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR),
            max_value=1,
            min_zero=False,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Contacts per day by channel",
            "Tickets created in the rolling last 24 hours, per channel.",
            [
                Target(
                    "sum by (channel) (increase(servicepulse_tickets_created_total[1d]))",
                    "{{channel}}",
                )
            ],
            unit=COUNT,
            stacked=True,
        )
    )
    return d
