"""Live operations board, row "Backlog"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import COUNT, Target
from dashboards.targets import AT_RISK_BAD, SlaTargets


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Backlog"))
    d = d.with_panel(
        lib.timeseries_panel(
            "Open backlog by team",
            "Open tickets per team, stacked: the height is the whole backlog.",
            [Target(f"sum by (team) (team:servicepulse_open_tickets:sum{{{q.T}}})", "{{team}}")],
            unit=COUNT,
            w=8,
            stacked=True,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Open backlog by priority",
            "Open tickets per priority (urgent, high, normal, low), stacked.",
            [Target(f"sum by (priority) (servicepulse_open_tickets{{{q.T}}})", "{{priority}}")],
            unit=COUNT,
            w=8,
            stacked=True,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Open backlog by channel",
            "Open tickets per channel (phone, chat, email, web, social), stacked.",
            [
                Target(
                    f"sum by (channel) (servicepulse_open_tickets_by_channel{{{q.T}}})",
                    "{{channel}}",
                )
            ],
            unit=COUNT,
            w=8,
            stacked=True,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Unanswered contacts by team",
            "Open tickets without a public agent response, per team.",
            [
                Target(
                    f"sum by (team) (team:servicepulse_unanswered_tickets:sum{{{q.T}}})", "{{team}}"
                )
            ],
            unit=COUNT,
            w=8,
        )
    )
    d = d.with_panel(
        lib.bars_panel(
            "At risk now, by team and target",
            f"Running clocks past {sla.at_risk:.0%} of their target, not yet breached. "
            f"Orange from 1, red from {AT_RISK_BAD:g} (the at-risk alert).",
            [
                Target(
                    "sum by (team, target) "
                    f"(team_target:servicepulse_sla_at_risk_tickets:sum{{{q.T}}})",
                    "{{team}} · {{target}}",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=lib.lower_is_better(1, AT_RISK_BAD),
        )
    )
    d = d.with_panel(
        lib.bars_panel(
            "Breached now, by team and target",
            "Running clocks past their deadline (tickets still open). Red from 1.",
            [
                Target(
                    "sum by (team, target) "
                    f"(team_target:servicepulse_sla_breached_open_tickets:sum{{{q.T}}})",
                    "{{team}} · {{target}}",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=((None, lib.GOOD), (1, lib.BAD)),
        )
    )
    return d
