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
                    q.or_zero(f'count(ALERTS{{alertstate="firing",{q.TEAM}}})'),
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
    # Grafana's Alert groups panel does not interpolate dashboard variables in its label
    # filter (AlertGroupsPanel.tsx parses options.labels as written): "team=$team" matched
    # nothing. The team's alerts come from Prometheus' ALERTS series, filtered by $team.
    d = d.with_panel(
        lib.table_panel(
            "The team's alerts",
            "Alerts of this team in Prometheus, by alert name: how many series fire and how "
            "many are pending (waiting out their for: duration). Details and runbooks: "
            "Alertmanager, or docs/runbooks.md.",
            [
                (state.capitalize(), Target(q.team_alerts(state), table=True), COUNT, steps)
                for state, steps in (
                    ("firing", ((None, lib.BAD),)),
                    ("pending", lib.neutral()),
                )
            ],
            key="alertname",
            w=20,
        )
    )
    return d
