"""Live operations board, row "Service level": answered in time, wait, oldest waiting."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import RATIO, SECONDS, Target
from dashboards.targets import (
    ASA_BAD,
    ASA_WARN,
    SERVICE_LEVEL_FLOOR,
    SERVICE_LEVEL_GOAL,
    SlaTargets,
    human,
)
from streams.monitoring.config import SERVICE_LEVEL_SECONDS


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    live = " and ".join(f"{ch} {SERVICE_LEVEL_SECONDS[ch]:g} s" for ch in ("phone", "chat"))
    d = d.with_row(lib.row("Service level"))
    d = d.with_panel(
        lib.stat_panel(
            "Service level now",
            f"Share of the phone and chat contacts answered in the last 5 minutes that were "
            f"answered within the channel's threshold ({live}). Goal {SERVICE_LEVEL_GOAL:.0%}: "
            f"orange below, red below {SERVICE_LEVEL_FLOOR:.0%}.",
            [
                Target(
                    q.live(q.per_channel("service_level:ratio_rate", "5m", q.T)),
                    "{{channel}}",
                    instant=True,
                )
            ],
            unit=RATIO,
            steps=lib.higher_is_better(SERVICE_LEVEL_GOAL, SERVICE_LEVEL_FLOOR),
            decimals=1,
            w=6,
            no_value=lib.NO_DATA_LIVE,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "ASA now",
            f"Average speed of answer: mean wait of the phone and chat contacts answered in the "
            f"last 5 minutes. Orange from {ASA_WARN:g} s, red from {ASA_BAD:g} s.",
            [
                Target(
                    q.live(q.per_channel("asa_seconds:mean_rate", "5m", q.T)),
                    "{{channel}}",
                    instant=True,
                )
            ],
            unit=SECONDS,
            steps=lib.lower_is_better(ASA_WARN, ASA_BAD),
            decimals=1,
            w=6,
            no_value=lib.NO_DATA_LIVE,
        )
    )
    first = sla.target_seconds("first_response")
    d = d.with_panel(
        lib.stat_panel(
            "Oldest unanswered",
            f"How long the longest-waiting contact (open, no public answer yet, not pending or "
            f"on hold) has waited, wall-clock time. Orange at {sla.at_risk:.0%} of the default "
            f"first-response target ({human(first)}), red from the target.",
            [
                Target(
                    f"max(team:servicepulse_oldest_unanswered_ticket_age_seconds:max{{{q.T}}})",
                    "oldest unanswered",
                    instant=True,
                )
            ],
            unit=SECONDS,
            steps=sla.time_steps("first_response"),
            w=4,
            no_value=lib.NO_DATA_LIVE,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Service level by channel",
            "Phone and chat service level over the rolling hour.",
            [Target(q.per_channel("service_level:ratio_rate", "1h", q.T), "{{channel}}")],
            unit=RATIO,
            w=8,
        )
    )
    return d
