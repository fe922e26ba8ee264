"""Team lead SLA board, row "Contact centre": the figures a team lead steers by."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import RATIO, SECONDS, Target
from dashboards.targets import (
    ASA_BAD,
    ASA_WARN,
    CSAT_FLOOR,
    CSAT_GOAL,
    FCR_FLOOR,
    FCR_GOAL,
    SERVICE_LEVEL_FLOOR,
    SERVICE_LEVEL_GOAL,
    SlaTargets,
)
from streams.monitoring.config import SERVICE_LEVEL_SECONDS

DAY_WEEK = (("1d", "24 h"), ("7d", "7 days"))


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Contact centre"))
    d = d.with_panel(
        lib.stat_panel(
            "Team CSAT",
            f"Share of the team's CSAT answers scoring 4 or 5, last 24 hours and last 7 days. "
            f"Goal {CSAT_GOAL:.0%}: orange below, red below {CSAT_FLOOR:.0%}.",
            [
                Target(q.team_rule(f"team:servicepulse_csat:ratio_rate{w}"), label, instant=True)
                for w, label in DAY_WEEK
            ],
            unit=RATIO,
            steps=lib.higher_is_better(CSAT_GOAL, CSAT_FLOOR),
            decimals=1,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Team FCR",
            f"First-contact resolutions / resolutions of the team, last 24 hours and last 7 "
            f"days. Goal {FCR_GOAL:.0%}: orange below, red below {FCR_FLOOR:.0%}.",
            [
                Target(q.team_rule(f"team:servicepulse_fcr:ratio_rate{w}"), label, instant=True)
                for w, label in DAY_WEEK
            ],
            unit=RATIO,
            steps=lib.higher_is_better(FCR_GOAL, FCR_FLOOR),
            decimals=1,
        )
    )
    live = " and ".join(f"{ch} {SERVICE_LEVEL_SECONDS[ch]:g} s" for ch in ("phone", "chat"))
    d = d.with_panel(
        lib.stat_panel(
            "Service level, phone and chat (1 h)",
            f"Share of the team's answered phone and chat contacts answered within the "
            f"channel's threshold ({live}) in the last hour. Goal {SERVICE_LEVEL_GOAL:.0%}: "
            f"orange below, red below {SERVICE_LEVEL_FLOOR:.0%}.",
            [
                Target(
                    q.team_rule(
                        "team_channel:servicepulse_service_level:ratio_rate1h", q.PHONE_CHAT
                    ),
                    "{{channel}}",
                    instant=True,
                )
            ],
            unit=RATIO,
            steps=lib.higher_is_better(SERVICE_LEVEL_GOAL, SERVICE_LEVEL_FLOOR),
            decimals=1,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "ASA, phone and chat (1 h)",
            f"Average speed of answer: the mean wait of the team's answered phone and chat "
            f"contacts in the last hour. Orange from {ASA_WARN:g} s, red from {ASA_BAD:g} s.",
            [
                Target(
                    q.team_rule("team_channel:servicepulse_asa_seconds:mean_rate1h", q.PHONE_CHAT),
                    "{{channel}}",
                    instant=True,
                )
            ],
            unit=SECONDS,
            steps=lib.lower_is_better(ASA_WARN, ASA_BAD),
            decimals=1,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "First response and resolution, p50 / p90",
            "The team's median and 90th-percentile first-response time (over the rolling "
            "hour) and resolution time (over the rolling day), SLA-clock time.",
            [
                Target(q.team_rule(f"team:servicepulse_{hist}_seconds:{p}_rate{w}"), legend)
                for hist, w, name in (
                    ("first_response", "1h", "first response"),
                    ("resolution", "1d", "resolution"),
                )
                for p, legend in ((p, f"{name} {p}") for p in ("p50", "p90"))
            ],
            unit=SECONDS,
            w=8,
        )
    )
    return d
