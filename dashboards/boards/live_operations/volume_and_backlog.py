"""Live operations board, row "Volume and backlog": is this a surge, and when does
the backlog clear?

Recording rules of ``streams/monitoring/rules/forecast.py`` (``team:servicepulse_contacts*``
and ``team:servicepulse_backlog_*`` in deploy/prometheus/rules/alerts.yml; docs/forecast.md):
contacts of the rolling hour against the same hour of the week over the past weeks, and the
backlog divided by the last hour's net drain (resolved + abandoned − created).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from dashboards import lib
from dashboards import queries as q
from dashboards.boards.live_operations.common import WALL_CLOCK
from dashboards.lib import COUNT, PER_HOUR, Target
from dashboards.targets import TOP_TEAMS, SlaTargets
from streams.monitoring.config import CONFIG

# Grafana's unit for a Unix time in milliseconds, shown as a date and time.
DATE = "dateTimeAsIso"
DRAIN = "team:servicepulse_backlog_drain:rate1h"
BACKLOG = "team:servicepulse_backlog:sum"


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    t = CONFIG.thresholds
    weeks = t.forecast_weeks
    d = d.with_row(lib.row("Volume and backlog"))
    d = d.with_panel(
        lib.timeseries_panel(
            "Contacts this hour against the usual",
            f"Contacts created in the rolling hour (all channels), the selected teams "
            f"together, against the usual: the mean of the same hour of the week over the "
            f"past {weeks} weeks. The surge alert fires at {t.surge_ratio:g}× the usual with "
            f"at least {t.surge_min_contacts} contacts. No usual line until a team has "
            f"{weeks} weeks of history (live or backfilled)." + WALL_CLOCK,
            [
                Target(f"sum(team:servicepulse_contacts:increase1h{{{q.T}}})", "this hour"),
                Target(
                    f"sum(team:servicepulse_contacts_baseline:increase1h{{{q.T}}})",
                    f"usual (past {weeks} weeks)",
                ),
            ],
            unit=COUNT,
            w=9,
        )
    )
    d = d.with_panel(
        lib.table_panel(
            "Backlog clears at",
            f"Per team: open tickets and when the backlog is empty at the last hour's net "
            f"drain (resolved + abandoned − created). Empty when the backlog grows or holds: "
            f"it does not clear at this pace. The backlog alert fires from "
            f"{t.backlog_eta_min_open} open when it clears in more than "
            f"{t.backlog_eta_max_seconds / 3600:g} h or never. Largest backlog first.",
            [
                (
                    "Open",
                    Target(q.live(q.by_team(f"{BACKLOG}{{{q.T}}}")), table=True),
                    COUNT,
                    lib.neutral(),
                ),
                (
                    "Clears at",
                    Target(q.live(q.clears_at_ms(q.T)), table=True),
                    DATE,
                    lib.neutral(),
                ),
            ],
            key="team",
            w=6,
            decimals={"Open": 0},
            sort_by="Open",
            descending=True,
        )
    )
    drain = q.per_hour(f"{DRAIN}{{{q.T}}}")
    rank = q.peak(BACKLOG, q.T)
    d = d.with_panel(
        lib.timeseries_panel(
            "Net drain per hour",
            f"Tickets the backlog shrinks by per hour (resolved + abandoned − created, last "
            f"hour's pace): below 0 it grows. The {TOP_TEAMS} teams with the largest backlog "
            f'in the range, the rest summed as "all others".' + WALL_CLOCK,
            [
                Target(q.top_teams(drain, rank, TOP_TEAMS), "{{team}}"),
                Target(q.other_teams(drain, rank, TOP_TEAMS), "{{team}}"),
            ],
            unit=PER_HOUR,
            w=9,
            min_zero=False,
        )
    )
    return d
