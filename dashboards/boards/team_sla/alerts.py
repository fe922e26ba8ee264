"""Team lead SLA board, row "Alerts"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import COUNT, Target
from dashboards.targets import SlaTargets


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Alerts"))
    d = d.with_panel(
        lib.stat_panel(
            "Firing alerts",
            "Alerts of this team firing now in Prometheus (critical and warning). Green at 0.",
            [
                Target(
                    f'count(ALERTS{{alertstate="firing",{q.TEAM}}}) or vector(0)',
                    "firing",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=((None, lib.GOOD), (1, lib.BAD)),
            w=4,
            h=8,
        )
    )
    d = d.with_panel(
        lib.alerts_panel(
            "The team's alerts in Alertmanager",
            "Alert groups routed to this team's lead, as Alertmanager holds them (firing, "
            "silenced or inhibited), with their summaries. Grafana's Alert groups panel is "
            "alpha: it needs [panels] enable_alpha = true (GF_PANELS_ENABLE_ALPHA=true).",
            "team=$team",
            w=20,
        )
    )
    return d
