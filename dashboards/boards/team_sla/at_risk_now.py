"""Team lead SLA board, row "At risk now"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import COUNT, SECONDS, Target
from dashboards.targets import AT_RISK_BAD, SlaTargets


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("At risk now"))
    d = d.with_panel(
        lib.stat_panel(
            "At risk now, by target",
            f"Running clocks past {sla.at_risk:.0%} of their target, not yet breached: the "
            f"tickets to pick up next. Orange from 1, red from {AT_RISK_BAD:g} (the alert).",
            [
                Target(
                    q.per_target_or_zero("team_target:servicepulse_sla_at_risk_tickets:sum"),
                    "{{target}}",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=lib.lower_is_better(1, AT_RISK_BAD),
            w=8,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Breached, still open, by target",
            "Clocks of the team's open tickets already past their deadline, paused ones "
            "(pending, on hold) included — so it can read more than the running breached "
            "clocks of *Warning and breached clocks*. Red from 1.",
            [
                Target(
                    q.per_target_or_zero("team_target:servicepulse_sla_breached_open_tickets:sum"),
                    "{{target}}",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=((None, lib.GOOD), (1, lib.BAD)),
            w=8,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Open / unanswered",
            "The team's open tickets and those without a public agent response yet.",
            [
                Target(
                    q.or_zero(f"team:servicepulse_open_tickets:sum{{{q.TEAM}}}"),
                    "open",
                    instant=True,
                ),
                Target(
                    q.or_zero(f"team:servicepulse_unanswered_tickets:sum{{{q.TEAM}}}"),
                    "unanswered",
                    instant=True,
                ),
            ],
            unit=COUNT,
            steps=lib.neutral(),
            w=5,
        )
    )
    oldest_steps, oldest_words = sla.oldest_steps()
    d = d.with_panel(
        lib.stat_panel(
            "Oldest ticket",
            f"Age of the team's oldest open ticket (calendar time). {oldest_words}",
            [
                Target(
                    q.or_zero(f"team:servicepulse_oldest_open_ticket_age_seconds:max{{{q.TEAM}}}"),
                    "oldest",
                    instant=True,
                )
            ],
            unit=SECONDS,
            steps=oldest_steps,
            w=3,
        )
    )
    return d
