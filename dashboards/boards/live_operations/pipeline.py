"""Live operations board, row "Pipeline"."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as dm

from dashboards import lib
from dashboards import queries as q
from dashboards.lib import RATIO, SECONDS, Target
from dashboards.targets import LAG_BAD, LAG_WARN, REJECT_BAD, REJECT_WARN, SlaTargets


def add(d: dash.Dashboard, sla: SlaTargets) -> dash.Dashboard:
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
                Target(q.or_zero("sum(reason:servicepulse_events_rejected:rate5m)"), "rejected"),
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
    return d
