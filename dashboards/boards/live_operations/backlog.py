"""Live operations board, row "Backlog"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import COUNT, Target
from dashboards.targets import AT_RISK_BAD, TOP_TEAMS, SlaTargets

# Zero pairs are left out, so an empty list is "none" — or a dead target (the top row's
# scrape health tells which).
NONE_OR_DOWN = "none now — or no data (see Scrape health)"


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    by_team = f"sum by (team) (team:servicepulse_open_tickets:sum{{{q.T}}})"
    rank_open = q.peak("team:servicepulse_open_tickets:sum", q.T)
    unanswered = f"sum by (team) (team:servicepulse_unanswered_tickets:sum{{{q.T}}})"
    rank_unanswered = q.peak("team:servicepulse_unanswered_tickets:sum", q.T)
    d = d.with_row(lib.row("Backlog"))
    d = d.with_panel(
        lib.timeseries_panel(
            "Open backlog by team",
            f"Open tickets per team, stacked: the height is the whole backlog. The "
            f"{TOP_TEAMS} teams with the largest backlog in the range, the rest summed as "
            f'"all others".',
            [
                Target(q.top_teams(by_team, rank_open, TOP_TEAMS), "{{team}}"),
                Target(q.other_teams(by_team, rank_open, TOP_TEAMS), "{{team}}"),
            ],
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
            f"Open tickets without a public agent response, per team: the {TOP_TEAMS} teams "
            f'with the most in the range, the rest summed as "all others".',
            [
                Target(q.top_teams(unanswered, rank_unanswered, TOP_TEAMS), "{{team}}"),
                Target(q.other_teams(unanswered, rank_unanswered, TOP_TEAMS), "{{team}}"),
            ],
            unit=COUNT,
            w=8,
        )
    )
    d = d.with_panel(
        lib.bars_panel(
            "At risk now, by team and target",
            f"Running clocks past {sla.at_risk:.0%} of their target, not yet breached: the "
            f"{TOP_TEAMS} largest (team, target) pairs, largest first; pairs at 0 are left "
            f"out. Orange from 1, red from {AT_RISK_BAD:g} (the at-risk alert).",
            [
                Target(
                    q.largest(
                        "sum by (team, target) "
                        f"(team_target:servicepulse_sla_at_risk_tickets:sum{{{q.T}}})",
                        TOP_TEAMS,
                    ),
                    "{{team}} · {{target}}",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=lib.lower_is_better(1, AT_RISK_BAD),
            no_value=NONE_OR_DOWN,
        )
    )
    d = d.with_panel(
        lib.bars_panel(
            "Breached now, by team and target",
            f"Running clocks past their deadline (tickets still open): the {TOP_TEAMS} "
            "largest (team, target) pairs, largest first; pairs at 0 are left out. Red from 1.",
            [
                Target(
                    q.largest(
                        "sum by (team, target) "
                        f"(team_target:servicepulse_sla_breached_open_tickets:sum{{{q.T}}})",
                        TOP_TEAMS,
                    ),
                    "{{team}} · {{target}}",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=((None, lib.GOOD), (1, lib.BAD)),
            no_value=NONE_OR_DOWN,
        )
    )
    return d
