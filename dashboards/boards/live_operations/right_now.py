"""Live operations board, row "Right now"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import stat
from grafana_foundation_sdk.models import dashboard as dm

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import COUNT, RATIO, SECONDS, Target
from dashboards.targets import ABANDON_BAD, ABANDON_WARN, AT_RISK_BAD, SlaTargets


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Right now"))
    d = d.with_panel(scrape_health())
    d = d.with_panel(
        lib.stat_panel(
            "Open backlog",
            "Tickets created and not yet resolved, closed or abandoned.",
            [
                Target(
                    q.live(q.or_zero(f"sum(team:servicepulse_open_tickets:sum{{{q.T}}})")),
                    "open",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=lib.neutral(),
            graph=True,
            no_value=lib.NO_DATA_LIVE,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Unanswered",
            "Open tickets that have had no public agent response yet (customers waiting "
            "for a first answer).",
            [
                Target(
                    q.live(q.or_zero(f"sum(team:servicepulse_unanswered_tickets:sum{{{q.T}}})")),
                    "unanswered",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=lib.neutral(),
            graph=True,
            no_value=lib.NO_DATA_LIVE,
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
                    q.live(
                        q.or_zero(f"sum(team_target:servicepulse_sla_at_risk_tickets:sum{{{q.T}}})")
                    ),
                    "at risk",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=lib.lower_is_better(1, AT_RISK_BAD),
            w=3,
            no_value=lib.NO_DATA_LIVE,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Breached, open",
            "SLA clocks of open tickets already past their deadline (paused ones included): "
            "tickets to act on first. Red from 1.",
            [
                Target(
                    q.live(
                        q.or_zero(
                            f"sum(team_target:servicepulse_sla_breached_open_tickets:sum{{{q.T}}})"
                        )
                    ),
                    "breached",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=((None, lib.GOOD), (1, lib.BAD)),
            w=3,
            no_value=lib.NO_DATA_LIVE,
        )
    )
    oldest_steps, oldest_words = sla.oldest_steps()
    d = d.with_panel(
        lib.stat_panel(
            "Oldest ticket",
            f"Age of the oldest open ticket (calendar time). {oldest_words}",
            [
                Target(
                    q.live(
                        q.or_zero(
                            f"max(team:servicepulse_oldest_open_ticket_age_seconds:max{{{q.T}}})"
                        )
                    ),
                    "oldest",
                    instant=True,
                )
            ],
            unit=SECONDS,
            steps=oldest_steps,
            no_value=lib.NO_DATA_LIVE,
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
                    q.live(q.abandonment(q.T, "1h")),
                    "abandoned",
                    instant=True,
                )
            ],
            unit=RATIO,
            steps=lib.lower_is_better(ABANDON_WARN, ABANDON_BAD),
            decimals=1,
            w=3,
            no_value=lib.NO_DATA_LIVE,
        )
    )
    return d


def scrape_health() -> stat.Panel:
    """Targets up (0 reads "target down", red) and, when some are, the targets down."""
    return lib.stat_panel(
        "Scrape health",
        "ServicePulse processes (worker, serve or demo) that Prometheus scrapes now "
        "(`up`), and those it cannot reach. When no target is up every figure of this row "
        'says "no data": a number here is never a leftover of a dead process.',
        [
            Target(f"sum(up{{{q.SCRAPE_JOB}}})", "up", instant=True),
            Target(f"count(up{{{q.SCRAPE_JOB}}} == 0)", "down", instant=True),
        ],
        unit=COUNT,
        steps=((None, lib.BAD), (1, lib.GOOD)),
        w=3,
        no_value="no target configured",
        mappings=[
            dm.ValueMap(options={"0": dm.ValueMappingResult(text="target down", color=lib.BAD)})
        ],
    ).override_by_name(
        "down",
        [
            dm.DynamicConfigValue(
                id_val="thresholds",
                value={"mode": "absolute", "steps": [{"value": None, "color": lib.BAD}]},
            ),
            dm.DynamicConfigValue(id_val="mappings", value=[]),
        ],
    )
