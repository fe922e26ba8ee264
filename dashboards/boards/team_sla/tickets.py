"""Team lead SLA board, row "Tickets about to breach and breached": the selected team's alerts.

The ticket alerts (docs/warnings.md) go from the adapters straight to Alertmanager. Grafana's
Alert groups panel cannot show them per selected team: it does not interpolate dashboard
variables in its label filter (AlertGroupsPanel.tsx of Grafana 10.1 parses ``options.labels``
as written), so the board used to carry one panel per team of the monitoring config —
billing, technical and sales whatever the team. A text panel does interpolate ``$team``: it
links to Grafana's alert-groups view and to Alertmanager's own list, both filtered by the
selected team; the counts of those clocks (from Prometheus, so they follow the team) sit in
the row "Before the breach", the team's Prometheus alerts in the row "Alerts".
"""

from __future__ import annotations

from urllib.parse import quote

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards.targets import SlaTargets

# Grafana's alert-groups page for the ServicePulse Alertmanager data source, filtered by team
# (queryString = Alertmanager matchers, groupBy = the grouping); relative, so it works on any
# Grafana host.
GRAFANA_GROUPS = (
    f"/alerting/groups?alertmanager={quote(lib.ALERTMANAGER_NAME)}"
    "&queryString=team%3D$team&groupBy=alertname,target"
)
ALERT_NAMES = (
    "ServicePulseTicketSLAAtRisk",
    "ServicePulseTicketSLABreached",
    "ServicePulseTicketSLAEscalated",
)


def markdown() -> str:
    names = ", ".join(f"`{n}`" for n in ALERT_NAMES)
    return (
        f"### Ticket alerts of **$team**\n\n"
        f"**[Open the alerts of $team]({GRAFANA_GROUPS})** — one alert per ticket and target "
        f"({names}) with the deadline, the time left and a link to the ticket, grouped by alert "
        "and target; the team's other alerts beside them.\n\n"
        "How many clocks are in their warning window or past their deadline right now, by "
        "priority and tier: *Before the breach* above. The team's Prometheus alerts: *Alerts* "
        "below."
    )


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Tickets about to breach and breached"))
    d = d.with_panel(
        lib.text_panel(
            "Ticket alerts of the selected team",
            "The selected team's ticket alerts in Alertmanager (about to breach, breached, "
            "escalated): a link that follows the team variable. Grafana's Alert groups panel "
            "cannot filter by a dashboard variable, so the list itself opens in Grafana's "
            "alerting view.",
            markdown(),
            w=24,
            h=5,
        )
    )
    return d
