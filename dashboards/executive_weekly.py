"""Executive weekly: the last 7 days against the 7 before, readable without explanation."""

from __future__ import annotations

import re

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as dm

from . import lib
from .lib import COUNT, RATIO, SECONDS, Target
from .targets import (
    ABANDON_BAD,
    ABANDON_WARN,
    ATTAINMENT_FLOOR,
    ATTAINMENT_OBJECTIVE,
    CES_FLOOR,
    CES_GOAL,
    CSAT_FLOOR,
    CSAT_GOAL,
    FCR_FLOOR,
    FCR_GOAL,
    NPS_FLOOR,
    NPS_GOAL,
    SlaTargets,
    human,
)

UID = "servicepulse-executive-weekly"
FASTER = {"p50": "half of the tickets were faster", "p90": "9 in 10 tickets were faster"}
THIS_WEEK = "Last 7 days"
WEEK_BEFORE = "7 days before"
# The offset every "week before" query carries (the test evaluates it without).
PREVIOUS = " offset 7d"

INTRO = """\
**Last 7 days against the 7 days before.** Each tile shows this week's figure next to the
week before. Green meets the goal, orange is below it, red needs attention; the goal of each
figure is in the description beside its title. Times are SLA-clock times (business hours of
the SLA policy, paused periods excluded). A week with no data yet shows "no data yet".
"""


def _weekly(expr: str) -> list[Target]:
    """This week's and the previous week's value of an expression over a 7-day window."""
    return [
        Target(expr, THIS_WEEK, instant=True),
        Target(_offset(expr), WEEK_BEFORE, instant=True),
    ]


# a recording-rule selector (its name has a colon), with its label matchers if any
_RULE = re.compile(r"(?<![\w:])([a-z_]*:[\w:]+)(\{[^}]*\})?")


def _offset(expr: str) -> str:
    """``expr`` a week back: ``offset 7d`` after every recording-rule selector and 7-day range."""
    out = _RULE.sub(lambda m: m.group(0) + PREVIOUS, expr)
    return out.replace("[7d]", "[7d]" + PREVIOUS)


def _by_team(rule: str) -> str:
    """A per-team rule without its name, so that table columns join on ``team`` alone."""
    return f"sum by (team) ({rule})"


def _outcome_ratio() -> str:
    return (
        'sum(target_outcome:servicepulse_sla_outcomes:increase7d{outcome="met"})'
        " / sum(target_outcome:servicepulse_sla_outcomes:increase7d)"
    )


def build(sla: SlaTargets) -> dash.Dashboard:
    d = (
        dash.Dashboard("ServicePulse — Executive weekly")
        .uid(UID)
        .description(
            "Customer satisfaction, service levels and volume of the last 7 days against "
            "the 7 days before, and a per-team summary."
        )
        .tags(["servicepulse", "weekly", "executive"])
        .refresh("5m")
        .time("now-14d", "now")
        .timezone("browser")
        .readonly()
    )
    d = d.with_panel(
        lib.text_panel(
            "How to read this board",
            "What the colours and the two numbers of each tile mean.",
            INTRO,
            w=24,
            h=3,
        )
    )

    d = d.with_row(lib.row("Customers"))
    d = d.with_panel(
        lib.stat_panel(
            "CSAT",
            f"Customer satisfaction: share of CSAT survey answers scoring 4 or 5 out of 5. "
            f"Goal {CSAT_GOAL:.0%}; red below {CSAT_FLOOR:.0%}.",
            _weekly(":servicepulse_csat:ratio_rate7d"),
            unit=RATIO,
            steps=lib.higher_is_better(CSAT_GOAL, CSAT_FLOOR),
            decimals=1,
            w=6,
            h=6,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "NPS",
            f"Net Promoter Score: % promoters (9-10) minus % detractors (0-6), from -100 to "
            f"100. Goal {NPS_GOAL:g}; red below {NPS_FLOOR:g}.",
            _weekly(":servicepulse_nps:score_rate7d"),
            unit=COUNT,
            steps=lib.higher_is_better(NPS_GOAL, NPS_FLOOR),
            decimals=0,
            w=6,
            h=6,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "CES",
            f"Customer effort score: mean answer from 1 (very difficult) to 7 (very easy). "
            f"Goal {CES_GOAL:g}; red below {CES_FLOOR:g}.",
            _weekly(":servicepulse_ces:mean_rate7d"),
            unit=COUNT,
            steps=lib.higher_is_better(CES_GOAL, CES_FLOOR),
            decimals=2,
            w=6,
            h=6,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "First-contact resolution",
            f"Share of resolutions reached with at most one agent reply, no transfer and no "
            f"reopen. Goal {FCR_GOAL:.0%}; red below {FCR_FLOOR:.0%}.",
            _weekly(":servicepulse_fcr:ratio_rate7d"),
            unit=RATIO,
            steps=lib.higher_is_better(FCR_GOAL, FCR_FLOOR),
            decimals=1,
            w=6,
            h=6,
        )
    )

    d = d.with_row(lib.row("Service levels"))
    d = d.with_panel(
        lib.stat_panel(
            "SLA attainment",
            f"Share of all SLA clocks (first response, next reply, resolution) met. "
            f"Objective {ATTAINMENT_OBJECTIVE:.0%}; red below {ATTAINMENT_FLOOR:.0%}.",
            _weekly(_outcome_ratio()),
            unit=RATIO,
            steps=lib.higher_is_better(ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR),
            decimals=1,
            w=6,
            h=6,
        )
    )
    d = d.with_panel(
        lib.bars_panel(
            "SLA attainment by target",
            f"Attainment of the last 7 days per SLA target. Objective {ATTAINMENT_OBJECTIVE:.0%}.",
            [Target("target:servicepulse_sla_attainment:ratio_rate7d", "{{target}}", instant=True)],
            unit=RATIO,
            steps=lib.higher_is_better(ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR),
            w=6,
            h=6,
        )
        .max(1)
        .decimals(1)
    )
    for target, label in (("first_response", "First response"), ("resolution", "Resolution")):
        seconds = sla.default.get(target)
        goal = (
            f" Orange from {sla.at_risk:.0%} of the default target ({human(seconds)}),"
            " red from the target."
            if seconds
            else ""
        )
        for q, qname in (("p50", "median"), ("p90", "p90")):
            d = d.with_panel(
                lib.stat_panel(
                    f"{label}, {qname}",
                    f"{label} time in SLA-clock time ({FASTER[q]}).{goal}",
                    _weekly(f":servicepulse_{target}_seconds:{q}_rate7d"),
                    unit=SECONDS,
                    steps=sla.time_steps(target),
                    w=6,
                    h=6,
                )
            )
    d = d.with_panel(
        lib.stat_panel(
            "Abandonment",
            f"Phone and chat contacts abandoned before any response, as a share of those "
            f"created. Goal below {ABANDON_WARN:.0%}; red from {ABANDON_BAD:.0%}.",
            _weekly(":servicepulse_abandonment:ratio_rate7d"),
            unit=RATIO,
            steps=lib.lower_is_better(ABANDON_WARN, ABANDON_BAD),
            decimals=1,
            w=6,
            h=6,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Average open backlog",
            "Tickets open at the same time, on average over the week.",
            _weekly(":servicepulse_open_tickets:avg_over_time7d"),
            unit=COUNT,
            steps=lib.neutral(),
            decimals=0,
            w=6,
            h=6,
        )
    )

    d = d.with_row(lib.row("Volume and complaints"))
    d = d.with_panel(
        lib.stat_panel(
            "Contacts",
            "Tickets created (all channels).",
            _weekly(":servicepulse_tickets_created:increase7d"),
            unit=COUNT,
            steps=lib.neutral(),
            decimals=0,
            w=5,
            h=8,
        )
    )
    d = d.with_panel(
        lib.bars_panel(
            "Contacts by channel",
            "Tickets created per channel, this week (blue) and the week before (purple).",
            [
                Target(
                    "sum by (channel) (increase(servicepulse_tickets_created_total[7d]))",
                    "{{channel}} · " + THIS_WEEK.lower(),
                    instant=True,
                ),
                Target(
                    "sum by (channel) "
                    f"(increase(servicepulse_tickets_created_total[7d]{PREVIOUS}))",
                    "{{channel}} · " + WEEK_BEFORE,
                    instant=True,
                ),
            ],
            unit=COUNT,
            steps=lib.neutral(),
            w=9,
            h=8,
        )
        .decimals(0)
        .override_by_query(
            "B",
            [
                dm.DynamicConfigValue(
                    id_val="color", value={"mode": "fixed", "fixedColor": lib.PREVIOUS}
                )
            ],
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Complaints",
            "Tickets of category complaint created.",
            _weekly(":servicepulse_complaints:increase7d"),
            unit=COUNT,
            steps=lib.neutral(),
            decimals=0,
            w=5,
            h=8,
        )
    )
    res = sla.default.get("resolution")
    d = d.with_panel(
        lib.stat_panel(
            "Complaint resolution",
            "How fast complaints were resolved: median resolution time of complaint tickets "
            "(SLA-clock time)."
            + (
                f" Orange from {sla.at_risk:.0%} of the default resolution target"
                f" ({human(res)}), red from the target."
                if res
                else ""
            ),
            _weekly(
                "histogram_quantile(0.5, sum by (le) "
                "(increase(servicepulse_complaint_resolution_seconds_bucket[7d])))"
            ),
            unit=SECONDS,
            steps=sla.time_steps("resolution"),
            w=5,
            h=8,
        )
    )

    d = d.with_row(lib.row("Teams"))
    d = d.with_panel(
        lib.table_panel(
            "Teams, last 7 days",
            "One row per support team: contacts, satisfaction, first-contact resolution, SLA "
            "attainment and the median response and resolution times of the last 7 days. "
            "Coloured by the goals of the tiles above.",
            [
                (
                    "Contacts",
                    Target(_by_team("team:servicepulse_tickets_created:increase7d"), table=True),
                    COUNT,
                    lib.neutral(),
                ),
                (
                    "CSAT",
                    Target(_by_team("team:servicepulse_csat:ratio_rate7d"), table=True),
                    RATIO,
                    lib.higher_is_better(CSAT_GOAL, CSAT_FLOOR),
                ),
                (
                    "NPS",
                    Target(_by_team("team:servicepulse_nps:score_rate7d"), table=True),
                    COUNT,
                    lib.higher_is_better(NPS_GOAL, NPS_FLOOR),
                ),
                (
                    "CES",
                    Target(_by_team("team:servicepulse_ces:mean_rate7d"), table=True),
                    COUNT,
                    lib.higher_is_better(CES_GOAL, CES_FLOOR),
                ),
                (
                    "FCR",
                    Target(_by_team("team:servicepulse_fcr:ratio_rate7d"), table=True),
                    RATIO,
                    lib.higher_is_better(FCR_GOAL, FCR_FLOOR),
                ),
                (
                    "SLA attainment",
                    Target(
                        "sum by (team) "
                        '(team_target_outcome:servicepulse_sla_outcomes:increase7d{outcome="met"})'
                        " / sum by (team) "
                        "(team_target_outcome:servicepulse_sla_outcomes:increase7d)",
                        table=True,
                    ),
                    RATIO,
                    lib.higher_is_better(ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR),
                ),
                (
                    "First response, median",
                    Target(
                        _by_team("team:servicepulse_first_response_seconds:p50_rate7d"), table=True
                    ),
                    SECONDS,
                    sla.time_steps("first_response"),
                ),
                (
                    "Resolution, median",
                    Target(_by_team("team:servicepulse_resolution_seconds:p50_rate7d"), table=True),
                    SECONDS,
                    sla.time_steps("resolution"),
                ),
            ],
            key="team",
            h=7,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "CSAT and SLA attainment, day by day",
            f"Rolling 24-hour CSAT and SLA attainment over the two weeks shown. Dashed lines: "
            f"{ATTAINMENT_FLOOR:.0%} and {ATTAINMENT_OBJECTIVE:.0%}.",
            [
                Target(":servicepulse_csat:ratio_rate1d", "CSAT"),
                Target(
                    'sum(target_outcome:servicepulse_sla_outcomes:increase1d{outcome="met"})'
                    " / sum(target_outcome:servicepulse_sla_outcomes:increase1d)",
                    "SLA attainment",
                ),
            ],
            unit=RATIO,
            steps=lib.higher_is_better(ATTAINMENT_OBJECTIVE, ATTAINMENT_FLOOR),
            max_value=1,
            min_zero=False,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Contacts per day by channel",
            "Tickets created in the rolling last 24 hours, per channel.",
            [
                Target(
                    "sum by (channel) (increase(servicepulse_tickets_created_total[1d]))",
                    "{{channel}}",
                )
            ],
            unit=COUNT,
            stacked=True,
        )
    )
    return d
