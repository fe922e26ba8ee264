"""Team lead SLA board, row "Tickets about to breach and breached": Alertmanager, per team.

Grafana's Alert groups panel does not interpolate dashboard variables in its label filter,
so there is one panel per team of the monitoring config (streams/monitoring/config.py),
each filtered by its team: the ticket-level alerts (docs/warnings.md) list the ticket, its
target, the time left and a link; the team's Prometheus alerts appear beside them.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards.targets import SlaTargets
from streams.monitoring.config import CONFIG


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Tickets about to breach and breached"))
    teams = CONFIG.routing.teams
    for team in teams:
        d = d.with_panel(
            lib.alerts_panel(
                f"{team}: tickets about to breach, breached, escalated",
                f"Alertmanager's alerts of team {team}: ServicePulseTicketSLAAtRisk (a running "
                "clock in its warning window), ServicePulseTicketSLABreached and "
                "ServicePulseTicketSLAEscalated, one per ticket and target, with the deadline, "
                "the time left and a link to the ticket; the team's other alerts beside them.",
                f"team={team}",
                w=max(8, 24 // len(teams)),
                h=10,
            )
        )
    return d
