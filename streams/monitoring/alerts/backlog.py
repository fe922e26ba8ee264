"""The backlog alerts: fast growth, a ticket open too long."""

from __future__ import annotations

from streams.monitoring.alerts.alert import Alert, duration_text, pct
from streams.monitoring.config import MonitoringConfig


def alerts(config: MonitoringConfig) -> list[Alert]:
    t = config.thresholds
    return [
        Alert(
            "ServicePulseBacklogGrowingFast",
            "backlog",
            f"""\
(team:servicepulse_open_tickets:delta1h > {t.backlog_growth})
and
(team:servicepulse_open_tickets:delta1h > {t.backlog_growth_share:g} * (team:servicepulse_open_tickets:sum offset 1h))""",
            "warning",
            "Backlog of team {{ $labels.team }} is growing fast",
            f"""\
The backlog of team {{{{ $labels.team }}}} grew by {{{{ $value | printf "%.0f" }}}} tickets in the
last hour (thresholds: more than {t.backlog_growth} tickets and more than {pct(t.backlog_growth_share)} of its size an hour ago).""",
            f"backlog +{t.backlog_growth} tickets in 1h AND +{pct(t.backlog_growth_share)} of its size an hour ago",
            for_=t.backlog_for,
        ),
        Alert(
            "ServicePulseOldestOpenTicketTooOld",
            "backlog",
            f"team:servicepulse_oldest_open_ticket_age_seconds:max > {t.oldest_open_seconds}",
            "warning",
            f"Team {{{{ $labels.team }}}} has a ticket open for more than {duration_text(t.oldest_open_seconds)}",
            f"""\
The oldest open ticket of team {{{{ $labels.team }}}} is {{{{ $value | humanizeDuration }}}} old
(threshold: {duration_text(t.oldest_open_seconds)}).""",
            f"oldest open ticket older than {duration_text(t.oldest_open_seconds)} ({t.oldest_open_seconds} s)",
            for_=t.oldest_open_for,
        ),
    ]
