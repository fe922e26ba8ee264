"""Live operations board, row "Next hour": the Erlang C forecast of the coming hour.

Every figure is a recording rule of ``streams/monitoring/rules/forecast.py``
(``team:servicepulse_forecast_*`` in deploy/prometheus/rules/alerts.yml; model and assumptions
in docs/forecast.md): phone and chat arrivals blended with the same hour of past weeks, the
day's AHT and the agents on duty now (available + busy, or the policy's ``staffing``). A team
without an AHT or without known agents has no forecast: the tiles read "no forecast" in grey,
never a 0. Like the top row, each figure needs a ServicePulse target up (``queries.live``): a
forecast from counters that stopped is not a forecast.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.boards.live_operations.common import WALL_CLOCK
from dashboards.lib import COUNT, RATIO, SECONDS, Target
from dashboards.targets import (
    ASA_BAD,
    ASA_WARN,
    SERVICE_LEVEL_FLOOR,
    SERVICE_LEVEL_GOAL,
    SlaTargets,
)
from streams.monitoring.config import CONFIG, SERVICE_LEVEL_SECONDS

# "+N agents needed": orange from this many agents short for the goal (none short is green).
AGENTS_SHORT_WARN = 1
# What a forecast tile reads without a value: no AHT, no agents known, or no target up.
NO_FORECAST = "no forecast"


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    threshold = SERVICE_LEVEL_SECONDS["phone"]
    goal = CONFIG.thresholds.service_level_min
    most = CONFIG.thresholds.forecast_max_agents  # Erlang C is worked out up to this many
    d = d.with_row(lib.row("Next hour"))
    d = d.with_panel(
        lib.stat_panel(
            "Forecast service level, next hour",
            f"Erlang C: the share of the next hour's phone and chat contacts expected to be "
            f"answered within {threshold:g} s, with the agents on duty now — the lowest of the "
            f"selected teams. Goal {SERVICE_LEVEL_GOAL:.0%}: orange below, red below "
            f"{SERVICE_LEVEL_FLOOR:.0%}; the forecast alert fires below {goal:.0%}. Optimistic "
            "(no abandons, every agent on the queue: docs/forecast.md). No forecast for a team "
            "without handle time or known agents.",
            [
                Target(
                    q.live(q.forecast("service_level:ratio", "min", q.T)),
                    "lowest team",
                    instant=True,
                )
            ],
            unit=RATIO,
            steps=lib.higher_is_better(SERVICE_LEVEL_GOAL, SERVICE_LEVEL_FLOOR),
            decimals=1,
            w=5,
            h=6,
            no_value=NO_FORECAST,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Agents to add",
            f"Agents the selected teams need on top of those on duty now for a forecast "
            f"service level of {goal:.0%} in the next hour (Erlang C), summed over the teams. "
            f"Orange from {AGENTS_SHORT_WARN}.",
            [
                Target(
                    q.live(q.forecast("agents_short:count", "sum", q.T)),
                    "agents to add",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=((None, lib.GOOD), (AGENTS_SHORT_WARN, lib.WARN)),
            decimals=0,
            w=4,
            h=6,
            no_value=NO_FORECAST,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Forecast ASA, next hour",
            f"Erlang C's average speed of answer for the next hour, the slowest of the "
            f"selected teams. Orange from {ASA_WARN:g} s, red from {ASA_BAD:g} s. No value "
            "when a team's agents cannot keep up at all (the queue grows without bound: see "
            '"Agents to add").',
            [
                Target(
                    q.live(q.forecast("asa_seconds:mean", "max", q.T)),
                    "slowest team",
                    instant=True,
                )
            ],
            unit=SECONDS,
            steps=lib.lower_is_better(ASA_WARN, ASA_BAD),
            decimals=1,
            w=4,
            h=6,
            no_value=NO_FORECAST,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Contacts forecast, next hour",
            f"Phone and chat contacts expected in the next hour, the selected teams together: "
            f"{CONFIG.thresholds.forecast_history_weight:.0%} the same hour of the past "
            f"{CONFIG.thresholds.forecast_weeks} weeks, the rest the last hour's rate (the "
            "last hour alone without that history)." + WALL_CLOCK,
            [
                Target(
                    q.live(q.per_hour(q.forecast("arrivals:rate1h", "sum", q.T))),
                    "contacts",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=lib.neutral(),
            decimals=0,
            w=4,
            h=6,
            no_value=NO_FORECAST,
        )
    )
    d = d.with_panel(
        lib.table_panel(
            "On duty and needed, next hour",
            f"Per team: agents on duty now (available + busy, or planned by the policy's "
            f"staffing), agents needed for {goal:.0%} in the next hour by Erlang C, and the "
            f"difference to add. Most to add first. Needed {most + 1} means more than {most}.",
            [
                (
                    "On duty",
                    Target(q.live(q.by_team(f"{q.FORECAST}agents:count{{{q.T}}}")), table=True),
                    COUNT,
                    lib.neutral(),
                ),
                (
                    "Needed",
                    Target(
                        q.live(q.by_team(f"{q.FORECAST}agents_needed:count{{{q.T}}}")), table=True
                    ),
                    COUNT,
                    lib.neutral(),
                ),
                (
                    "To add",
                    Target(
                        q.live(q.by_team(f"{q.FORECAST}agents_short:count{{{q.T}}}")), table=True
                    ),
                    COUNT,
                    ((None, lib.GOOD), (AGENTS_SHORT_WARN, lib.WARN)),
                ),
            ],
            key="team",
            w=7,
            h=6,
            decimals={"On duty": 0, "Needed": 0, "To add": 0},
            sort_by="To add",
            descending=True,
        )
    )
    return d
