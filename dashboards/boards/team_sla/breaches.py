"""Team lead SLA board, row "Breaches"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import COUNT, Target
from dashboards.targets import SlaTargets


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Breaches"))
    d = d.with_panel(
        lib.bars_panel(
            "Breaches by priority (24 h)",
            "SLA clocks breached in the last 24 hours (all targets), per priority. 0 where "
            "every clock was met.",
            [Target(q.breaches_by("priority"), "{{priority}}", instant=True)],
            unit=COUNT,
            steps=((None, lib.GOOD), (1, lib.BAD)),
        ).decimals(0)
    )
    d = d.with_panel(
        lib.bars_panel(
            "Breaches by customer tier (24 h)",
            "SLA clocks breached in the last 24 hours (all targets), VIP and standard customers.",
            [Target(q.breaches_by("customer_tier"), "{{customer_tier}}", instant=True)],
            unit=COUNT,
            steps=((None, lib.GOOD), (1, lib.BAD)),
        ).decimals(0)
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Breaches per hour by target",
            "SLA clocks breached in the rolling last hour, per target.",
            [
                Target(
                    "sum by (target) (team_target_outcome:servicepulse_sla_outcomes:increase1h"
                    f'{{{q.TEAM},outcome="breached"}})'
                    " or sum by (target) (team_target_outcome:servicepulse_sla_outcomes:increase1h"
                    f"{{{q.TEAM}}}) * 0",
                    "{{target}}",
                )
            ],
            unit=COUNT,
            w=8,
        )
    )
    return d
