"""Live operations: what the floor needs to see every few seconds."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as dm

from . import lib
from .lib import COUNT, PER_HOUR, RATIO, SECONDS, Target
from .targets import (
    ABANDON_BAD,
    ABANDON_WARN,
    AT_RISK_BAD,
    LAG_BAD,
    LAG_WARN,
    OLDEST_BAD,
    REJECT_BAD,
    REJECT_WARN,
    SlaTargets,
    human,
)

UID = "servicepulse-live-operations"
T = 'team=~"$team"'
PHONE_CHAT = 'channel=~"phone|chat"'


def build(sla: SlaTargets) -> dash.Dashboard:
    d = (
        dash.Dashboard("ServicePulse — Live operations")
        .uid(UID)
        .description(
            "The contact centre right now: backlog, unanswered contacts, SLA clocks at risk "
            "and breached, response and resolution times, abandonment, and the health of "
            "the ServicePulse pipeline. Refreshes every 15 s."
        )
        .tags(["servicepulse", "live"])
        .refresh("15s")
        .time("now-6h", "now")
        .timezone("browser")
        .readonly()
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .with_variable(
            dash.QueryVariable("team")
            .label("Team")
            .description("Support teams to show (All = the whole contact centre).")
            .datasource(lib.PROMETHEUS)
            .query("label_values(servicepulse_tickets_created_total, team)")
            .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(dm.VariableSort.ALPHABETICAL_ASC)
            .multi(True)
            .include_all(True)
            .all_value(".*")
            .current(dm.VariableOption(selected=True, text=["All"], value=["$__all"]))
        )
    )

    d = d.with_row(lib.row("Right now"))
    d = d.with_panel(
        lib.stat_panel(
            "Open backlog",
            "Tickets created and not yet resolved, closed or abandoned.",
            [Target(f"sum(team:servicepulse_open_tickets:sum{{{T}}})", "open", instant=True)],
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
                    f"sum(team:servicepulse_unanswered_tickets:sum{{{T}}})",
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
                    f"sum(team_target:servicepulse_sla_at_risk_tickets:sum{{{T}}})",
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
                    f"sum(team_target:servicepulse_sla_breached_open_tickets:sum{{{T}}})",
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
                    f"max(team:servicepulse_oldest_open_ticket_age_seconds:max{{{T}}})",
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
                    f"sum(increase(servicepulse_contacts_abandoned_total{{{T},{PHONE_CHAT}}}[1h]))"
                    f" / sum(increase(servicepulse_tickets_created_total{{{T},{PHONE_CHAT}}}[1h]))",
                    "abandoned",
                    instant=True,
                )
            ],
            unit=RATIO,
            steps=lib.lower_is_better(ABANDON_WARN, ABANDON_BAD),
            decimals=1,
        )
    )

    d = d.with_row(lib.row("Backlog"))
    d = d.with_panel(
        lib.timeseries_panel(
            "Open backlog by team",
            "Open tickets per team, stacked: the height is the whole backlog.",
            [Target(f"sum by (team) (team:servicepulse_open_tickets:sum{{{T}}})", "{{team}}")],
            unit=COUNT,
            w=8,
            stacked=True,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Open backlog by priority",
            "Open tickets per priority (urgent, high, normal, low), stacked.",
            [Target(f"sum by (priority) (servicepulse_open_tickets{{{T}}})", "{{priority}}")],
            unit=COUNT,
            w=8,
            stacked=True,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Open backlog by channel",
            "Open tickets per channel (phone, chat, email, web, social), stacked.",
            [
                Target(
                    f"sum by (channel) (servicepulse_open_tickets_by_channel{{{T}}})",
                    "{{channel}}",
                )
            ],
            unit=COUNT,
            w=8,
            stacked=True,
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Unanswered contacts by team",
            "Open tickets without a public agent response, per team.",
            [
                Target(
                    f"sum by (team) (team:servicepulse_unanswered_tickets:sum{{{T}}})", "{{team}}"
                )
            ],
            unit=COUNT,
            w=8,
        )
    )
    d = d.with_panel(
        lib.bars_panel(
            "At risk now, by team and target",
            f"Running clocks past {sla.at_risk:.0%} of their target, not yet breached. "
            f"Orange from 1, red from {AT_RISK_BAD:g} (the at-risk alert).",
            [
                Target(
                    "sum by (team, target) "
                    f"(team_target:servicepulse_sla_at_risk_tickets:sum{{{T}}})",
                    "{{team}} · {{target}}",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=lib.lower_is_better(1, AT_RISK_BAD),
        )
    )
    d = d.with_panel(
        lib.bars_panel(
            "Breached now, by team and target",
            "Running clocks past their deadline (tickets still open). Red from 1.",
            [
                Target(
                    "sum by (team, target) "
                    f"(team_target:servicepulse_sla_breached_open_tickets:sum{{{T}}})",
                    "{{team}} · {{target}}",
                    instant=True,
                )
            ],
            unit=COUNT,
            steps=((None, lib.GOOD), (1, lib.BAD)),
        )
    )

    d = d.with_row(lib.row("Speed and flow"))
    for target, label in (("first_response", "First response"), ("resolution", "Resolution")):
        seconds = sla.default.get(target)
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
                f"and 90th percentile of the last hour, per team.{limit}",
                [
                    Target(f"team:servicepulse_{target}_seconds:p50_rate1h{{{T}}}", "{{team}} p50"),
                    Target(f"team:servicepulse_{target}_seconds:p90_rate1h{{{T}}}", "{{team}} p90"),
                ],
                unit=SECONDS,
                steps=sla.time_steps(target),
            )
        )
    d = d.with_panel(
        lib.timeseries_panel(
            "Arrivals vs resolutions",
            "Tickets created and tickets resolved, as an hourly pace over the last 5 minutes. "
            "Arrivals above resolutions means the backlog grows.",
            [
                Target(
                    f"sum(rate(servicepulse_tickets_created_total{{{T}}}[5m])) * 3600", "arrivals"
                ),
                Target(
                    f"sum(rate(servicepulse_tickets_resolved_total{{{T}}}[5m])) * 3600",
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
                    f"(increase(servicepulse_contacts_abandoned_total{{{T},{PHONE_CHAT}}}[1h]))"
                    " / sum by (channel) "
                    f"(increase(servicepulse_tickets_created_total{{{T},{PHONE_CHAT}}}[1h]))",
                    "{{channel}}",
                )
            ],
            unit=RATIO,
            steps=lib.lower_is_better(ABANDON_WARN, ABANDON_BAD),
        )
    )

    d = d.with_row(lib.row("Pipeline"))
    d = d.with_panel(
        lib.timeseries_panel(
            "Event rate",
            "Interaction events accepted per second by each scraped ServicePulse process "
            "(job), and events rejected (dead-lettered) per second.",
            [
                Target(
                    "sum by (job) (job:servicepulse_events_processed:rate5m)", "accepted · {{job}}"
                ),
                Target("sum(reason:servicepulse_events_rejected:rate5m) or vector(0)", "rejected"),
            ],
            unit=lib.EVENTS_PER_SECOND,
            w=8,
        ).override_by_name(
            "rejected",
            [dm.DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": "red"})],
        )
    )
    d = d.with_panel(
        lib.timeseries_panel(
            "Event lag p50 / p99",
            f"Processing time minus event time, over 5 minutes. Dashed lines at "
            f"{LAG_WARN:g} s and {LAG_BAD:g} s (the lag alert).",
            [
                Target(":servicepulse_event_lag_seconds:p50_rate5m", "p50"),
                Target(":servicepulse_event_lag_seconds:p99_rate5m", "p99"),
            ],
            unit=SECONDS,
            steps=lib.lower_is_better(LAG_WARN, LAG_BAD),
            w=8,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "Rejected events (5 min)",
            f"Share of incoming events rejected as bad input and dead-lettered. Orange from "
            f"{REJECT_WARN:.0%}, red from {REJECT_BAD:.0%} (the dead-letter alert).",
            [
                Target(
                    ":servicepulse_events_rejected:ratio_rate5m"
                    # 0 while events flow and none was ever rejected (no rejected series yet)
                    " or 0 * sum(job:servicepulse_events_processed:rate5m)",
                    "rejected",
                    instant=True,
                )
            ],
            unit=RATIO,
            steps=lib.lower_is_better(REJECT_WARN, REJECT_BAD),
            decimals=2,
        )
    )
    d = d.with_panel(
        lib.stat_panel(
            "ServicePulse targets up",
            "ServicePulse processes (worker or demo) that Prometheus scrapes successfully. "
            "Red at 0.",
            [Target('sum(up{job=~"servicepulse.*"})', "up", instant=True)],
            unit=COUNT,
            steps=((None, lib.BAD), (1, lib.GOOD)),
        )
    )
    return d
