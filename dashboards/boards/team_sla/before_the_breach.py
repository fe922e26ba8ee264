"""Team lead SLA board, row "Before the breach": time to the next deadline, warnings by priority."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import COUNT, SECONDS, Target
from dashboards.targets import SlaTargets


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Before the breach"))
    d = d.with_panel(
        lib.stat_panel(
            "Time to the next deadline, by target",
            "Counted time until the nearest deadline of the team's running clocks: how long "
            "the lead has before the next breach. Red under 5 min, orange under 30 min. The "
            "tickets themselves arrive as ticket alerts (docs/warnings.md).",
            [Target(q.next_deadline(q.TEAM, "target"), "{{target}}", instant=True)],
            unit=SECONDS,
            steps=lib.higher_is_better(1800, 300),
            w=8,
            no_value="no running clock",
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Warning and breached clocks, by priority and tier",
            "Running clocks in their warning window (at-risk share or the policy's "
            "warn_before) and past their deadline, by priority and customer tier: the ticket "
            "alerts, counted. Running clocks only: a breached clock paused (pending, on hold) "
            "counts in *Breached, still open* but not here. Pairs at 0 are left out.",
            [
                Target(
                    q.clocks_by_priority("warning", q.TEAM),
                    "warning {{priority}} {{customer_tier}}",
                    instant=True,
                ),
                Target(
                    q.clocks_by_priority("breached", q.TEAM),
                    "breached {{priority}} {{customer_tier}}",
                    instant=True,
                ),
            ],
            unit=COUNT,
            steps=((None, lib.GOOD), (1, lib.WARN)),
            w=16,
        )
    )
    return d
