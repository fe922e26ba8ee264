"""Live operations board, row "Speed and flow"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as dm

from dashboards import lib
from dashboards import queries as q
from dashboards.boards.live_operations.common import WALL_CLOCK
from dashboards.lib import PER_HOUR, RATIO, SECONDS, Target
from dashboards.targets import ABANDON_BAD, ABANDON_WARN, TOP_TEAMS, SlaTargets, human


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
    d = d.with_row(lib.row("Speed and flow"))
    # teams ranked by tickets created over the range, counted at its end
    volume = (
        f"sum by (team) (increase(servicepulse_tickets_created_total{{{q.T}}}[$__range] @ end()))"
    )
    for target, label in (("first_response", "First response"), ("resolution", "Resolution")):
        seconds = sla.target_seconds(target)
        limit = (
            " The dashed lines are the at-risk point and the target of the default policy"
            f" ({human(seconds)})."
            if seconds
            else ""
        )
        d = d.with_panel(
            lib.timeseries_panel(
                f"{label} time p50 / p90 (last hour)",
                f"{label} time in SLA-clock time (business hours, pauses excluded), median "
                f"and 90th percentile of the last hour, per team: the {TOP_TEAMS} teams with "
                f"the most tickets created in the range.{limit}",
                [
                    Target(
                        q.top_teams(
                            f"team:servicepulse_{target}_seconds:{p}_rate1h{{{q.T}}}",
                            volume,
                            TOP_TEAMS,
                        ),
                        f"{{{{team}}}} {p}",
                    )
                    for p in ("p50", "p90")
                ],
                unit=SECONDS,
                steps=sla.time_steps(target),
            )
        )
    d = d.with_panel(
        lib.timeseries_panel(
            "Arrivals vs resolutions",
            "Tickets created and tickets resolved, as an hourly pace over the last 5 minutes. "
            "Arrivals above resolutions means the backlog grows." + WALL_CLOCK,
            [
                Target(
                    f"sum(rate(servicepulse_tickets_created_total{{{q.T}}}[5m])) * 3600", "arrivals"
                ),
                Target(
                    f"sum(rate(servicepulse_tickets_resolved_total{{{q.T}}}[5m])) * 3600",
                    "resolutions",
                ),
            ],
            unit=PER_HOUR,
        )
        .override_by_name(
            "arrivals",
            [dm.DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": "blue"})],
        )
        .override_by_name(
            "resolutions",
            [dm.DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": "green"})],
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Abandonment rate by channel",
            f"Phone and chat contacts abandoned before a response / contacts created, over "
            f"the last hour. Dashed lines: {ABANDON_WARN:.0%} goal and {ABANDON_BAD:.0%} alert.",
            [
                Target(
                    "sum by (channel) "
                    f"(increase(servicepulse_contacts_abandoned_total{{{q.T},{q.PHONE_CHAT}}}[1h]))"
                    " / sum by (channel) "
                    f"(increase(servicepulse_tickets_created_total{{{q.T},{q.PHONE_CHAT}}}[1h]))",
                    "{{channel}}",
                )
            ],
            unit=RATIO,
            steps=lib.lower_is_better(ABANDON_WARN, ABANDON_BAD),
        )
    )
    return d
