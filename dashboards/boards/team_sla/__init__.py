"""Team lead SLA board: the header and variables here, one module per row."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as dm

from dashboards import lib
from dashboards.boards.team_sla import (
    agents,
    alerts,
    at_risk_now,
    before_the_breach,
    breaches,
    contact_centre,
    error_budget,
    hand_offs_reopens_and_quality,
    journey,
    ledger_tables,
    sla_attainment_against_policy,
    tickets,
)
from dashboards.boards.team_sla.common import UID
from dashboards.targets import SlaTargets

ROWS = (
    sla_attainment_against_policy,
    error_budget,
    contact_centre,
    breaches,
    at_risk_now,
    before_the_breach,
    tickets,
    hand_offs_reopens_and_quality,
    journey,
    agents,
    ledger_tables,
    alerts,
)


def build(sla: SlaTargets) -> dash.Dashboard:
    d = (
        dash.Dashboard("ServicePulse — Team lead SLA")
        .uid(UID)
        .description(
            "One team's SLA attainment against its policy, breaches by priority and tier, "
            "tickets at risk now, hand-offs, reopens, QA scores, the contact-centre figures "
            "(CSAT, FCR, service level, ASA, percentiles), a per-agent table and the team's "
            "alerts."
        )
        .tags(["servicepulse", "sla", "team"])
        .refresh("1m")
        .time("now-24h", "now")
        .timezone("browser")
        .readonly()
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .with_variable(
            dash.QueryVariable("team")
            .label("Team")
            .description("The support team this board is about.")
            .datasource(lib.PROMETHEUS)
            .query("label_values(servicepulse_tickets_created_total, team)")
            .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(dm.VariableSort.ALPHABETICAL_ASC)
            .multi(False)
            .include_all(False)
        )
    )
    for row in ROWS:
        d = row.add(d, sla)
    return d
