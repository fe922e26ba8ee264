"""Team lead SLA board, row "Journey across teams": where the time goes between
departments.

A ticket's *stint* is the time one team holds it (docs/engine.md, "Team stints and OLAs"):
``servicepulse_team_stint_seconds{team}`` observes each stint when it ends, and
``servicepulse_ola_outcomes_total{team, outcome}`` judges it against the team's OLA (the
policy's ``ola``). Every team is shown here, not only the selected one: the point is to see
which department holds tickets longest. The figures come from the recording rules of
``streams/monitoring/rules/ola.py``, over the last 24 hours and 7 days.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.boards.team_sla.common import ATTAIN
from dashboards.lib import COUNT, RATIO, SECONDS, Target
from dashboards.targets import SlaTargets
from streams.monitoring.config import CONFIG

STINTS = "servicepulse_team_stint_seconds"
ATTAINMENT = "team:servicepulse_ola_attainment:ratio_rate"
OLA_OUTCOMES = "team_outcome:servicepulse_ola_outcomes:increase"
HELD = "team:servicepulse_team_stint_seconds:"
TOP = 10  # teams on the bars: the rest is in the table beside them

# What an OLA figure reads without a value: the policy file sets no `ola` (stints measured,
# never judged), or no stint of the team ended or breached in the window.
NO_OLA = "no OLA judged"
BREACHED = ((None, lib.GOOD), (1, lib.BAD))


def breaches(w: str, selector: str = "") -> str:
    """OLA breaches per team in ``w``; 0 for a team with judged stints and no breach."""
    sel = f"{selector}," if selector else ""
    return (
        f'sum by (team) ({OLA_OUTCOMES}{w}{{{sel}outcome="breached"}})'
        f" or sum by (team) ({OLA_OUTCOMES}{w}{{{selector}}}) * 0"
    )


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Journey across teams"))
    d = d.with_panel(
        lib.table_panel(
            "Journey across teams (24 h)",
            "Every team, last 24 hours: stints ended (a team handed a ticket on or solved it), "
            "how long a team held a ticket (median and p90, SLA-clock time: business hours, "
            "pauses excluded), the share of stints within the team's OLA (the policy file's "
            "`ola`) and the stints that passed it. Longest p90 first. OLA columns are empty "
            "when the policy sets no `ola`.",
            [
                (
                    "Stints",
                    Target(f"sum by (team) (increase({STINTS}_count[1d]))", table=True),
                    COUNT,
                    lib.neutral(),
                ),
                (
                    "Held, median",
                    Target(q.by_team(f"{HELD}p50_rate1d"), table=True),
                    SECONDS,
                    lib.neutral(),
                ),
                (
                    "Held, p90",
                    Target(q.by_team(f"{HELD}p90_rate1d"), table=True),
                    SECONDS,
                    lib.neutral(),
                ),
                (
                    "OLA attainment",
                    Target(q.by_team(f"{ATTAINMENT}1d"), table=True),
                    RATIO,
                    ATTAIN,
                ),
                ("OLA breaches", Target(breaches("1d"), table=True), COUNT, BREACHED),
            ],
            key="team",
            w=12,
            h=8,
            decimals={"Stints": 0, "OLA breaches": 0, "OLA attainment": 1},
            min_width=90,
            sort_by="Held, p90",
            descending=True,
        )
    )
    d = d.with_panel(
        lib.bars_panel(
            "Time held per team, p90 (24 h)",
            f"How long the {TOP} slowest teams held a ticket, 90th percentile of the stints "
            "that ended in the last 24 hours (SLA-clock time). Longest first.",
            [Target(f"sort_desc(topk({TOP}, {HELD}p90_rate1d))", "{{team}}", instant=True)],
            unit=SECONDS,
            steps=lib.neutral(),
            w=6,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "OLA attainment of the team",
            "Share of the selected team's stints that ended within its OLA (or are still "
            "within it), last 24 hours and last 7 days; a stint that passed the OLA counts "
            f"the moment it passed. Reads '{NO_OLA}' when the policy sets no `ola`.",
            [
                Target(q.team_rule(f"{ATTAINMENT}{w}"), label, instant=True)
                for w, label in (("1d", "24 h"), ("7d", "7 days"))
            ],
            unit=RATIO,
            steps=ATTAIN,
            decimals=1,
            w=3,
            h=8,
            no_value=NO_OLA,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "OLA breaches of the team",
            "Stints of the selected team that passed its OLA, last 24 hours and last 7 days "
            f"(the alert ServicePulseOLABreach fires from {CONFIG.thresholds.ola_breach_count} in "
            f"{CONFIG.thresholds.ola_breach_window}). 0 while every judged "
            f"stint is within it; '{NO_OLA}' when the policy sets no `ola`.",
            [
                Target(f"sum({breaches(w, q.TEAM)})", label, instant=True)
                for w, label in (("1d", "24 h"), ("7d", "7 days"))
            ],
            unit=COUNT,
            steps=BREACHED,
            decimals=0,
            w=3,
            h=8,
            no_value=NO_OLA,
        )
    )
    return d
