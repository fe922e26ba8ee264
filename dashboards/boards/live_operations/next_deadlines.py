"""Live operations board, row "Next deadlines": time to the next breach per team."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import SECONDS, Target
from dashboards.targets import TOP_TEAMS, SlaTargets


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Next deadlines"))
    d = d.with_panel(
        lib.stat_panel(
            "Time to the next breach, per team",
            "Counted time until the nearest deadline among each team's running clocks "
            f"(servicepulse_sla_next_deadline_seconds): the {TOP_TEAMS} teams that must move "
            "first, soonest first. Red under 5 min, orange under 30 min.",
            [
                Target(
                    q.live(f"sort(bottomk({TOP_TEAMS}, {q.next_deadline(q.T, 'team')}))"),
                    "{{team}}",
                    instant=True,
                )
            ],
            unit=SECONDS,
            steps=lib.higher_is_better(1800, 300),
            w=24,
            no_value="no running clock",
        )
    )
    return d
