"""Live operations board, row "Right now"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import COUNT, RATIO, SECONDS, Target
from dashboards.targets import ABANDON_BAD, ABANDON_WARN, AT_RISK_BAD, OLDEST_BAD, SlaTargets


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Right now"))
    d = d.with_panel(
        lib.stat_panel(
            "Open backlog",
            "Tickets created and not yet resolved, closed or abandoned.",
            [
                Target(
                    q.or_zero(f"sum(team:servicepulse_open_tickets:sum{{{q.T}}})"),
                    "open",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=lib.neutral(),
            graph=True,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Unanswered",
            "Open tickets that have had no public agent response yet (customers waiting "
            "for a first answer).",
            [
                Target(
                    q.or_zero(f"sum(team:servicepulse_unanswered_tickets:sum{{{q.T}}})"),
                    "unanswered",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=lib.neutral(),
            graph=True,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Clocks at risk",
            f"Running SLA clocks (first response, next reply, resolution) past "
            f"{sla.at_risk:.0%} of their target and not yet breached. Orange from 1, red from "
            f"{AT_RISK_BAD:g} (the at-risk alert).",
            [
                Target(
                    q.or_zero(f"sum(team_target:servicepulse_sla_at_risk_tickets:sum{{{q.T}}})"),
                    "at risk",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=lib.lower_is_better(1, AT_RISK_BAD),
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Breached, open",
            "Running SLA clocks already past their deadline: tickets to act on first. Red from 1.",
            [
                Target(
                    q.or_zero(
                        f"sum(team_target:servicepulse_sla_breached_open_tickets:sum{{{q.T}}})"
                    ),
                    "breached",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=((None, lib.GOOD), (1, lib.BAD)),
        )
    )
    res = sla.default.get("resolution", 3 * 86400.0)
    d = d.with_panel(
        lib.stat_panel(
            "Oldest ticket",
            f"Age of the oldest open ticket (calendar time). Orange from the default "
            f"resolution target ({res / 86400:g} d), red from {OLDEST_BAD / 86400:g} d (the "
            f"oldest-ticket alert).",
            [
                Target(
                    q.or_zero(
                        f"max(team:servicepulse_oldest_open_ticket_age_seconds:max{{{q.T}}})"
                    ),
                    "oldest",
                    instant=True,
                )
            ],
            unit=SECONDS,
            steps=lib.lower_is_better(res, OLDEST_BAD),
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Abandoned, 1 h",
            f"Phone and chat contacts abandoned before any response, as a share of those "
            f"created in the last hour. Orange from {ABANDON_WARN:.0%}, red from "
            f"{ABANDON_BAD:.0%} (the abandonment alert).",
            [
                Target(
                    q.abandonment(q.T, "1h"),
                    "abandoned",
                    instant=True,
                )
            ],
            unit=RATIO,
            steps=lib.lower_is_better(ABANDON_WARN, ABANDON_BAD),
            decimals=1,
        )
    )
    return d
