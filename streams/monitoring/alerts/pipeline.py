"""The pipeline's own alerts (team "platform"): no events, lag, dead letters, a worker down."""

from __future__ import annotations

from streams.monitoring.alerts.alert import Alert, minutes, pct
from streams.monitoring.config import MonitoringConfig

PLATFORM = {"team": "platform"}


def alerts(config: MonitoringConfig) -> list[Alert]:
    t = config.thresholds
    return [
        Alert(
            "ServicePulseNoEventsProcessed",
            "pipeline",
            """\
(
    job:servicepulse_events_processed:rate5m
  or
    0 * sum by (job) (up{job=~"servicepulse-.*"} == 1)
) == 0""",
            "critical",
            "ServicePulse job {{ $labels.job }} processes no events",
            f"""\
Job {{{{ $labels.job }}}} accepted {{{{ $value }}}} events/s over the last 5 minutes, for more
than {minutes(t.no_events_for)} (threshold: 0). SLA figures are frozen while this lasts.""",
            "0 accepted events/s over 5m on a scraped job",
            for_=t.no_events_for,
            labels=PLATFORM,
            comment="A job that is up but has no counter yet (nothing accepted since start)\n"
            "counts as 0; a job that is down is ServicePulseWorkerDown's business.",
        ),
        Alert(
            "ServicePulseEventLagHigh",
            "pipeline",
            f":servicepulse_event_lag_seconds:p99_rate5m > {t.lag_p99_seconds}",
            "warning",
            "ServicePulse processes events late",
            f"""\
p99 of processing time minus event time over 5 minutes is {{{{ $value | humanizeDuration }}}}
(threshold: {t.lag_p99_seconds} s). Live SLA clocks may count breaches that are not real.""",
            f"p99 event lag over 5m > {t.lag_p99_seconds} s",
            for_=t.lag_for,
            labels=PLATFORM,
        ),
        Alert(
            "ServicePulseDeadLetterRateHigh",
            "pipeline",
            f"""\
:servicepulse_events_rejected:ratio_rate5m > {t.reject_ratio:.2f}
and
sum(increase(servicepulse_events_rejected_total[5m])) >= {t.reject_min}""",
            "warning",
            "ServicePulse rejects many events to the dead-letter topic",
            f"""\
{{{{ $value | humanizePercentage }}}} of the events of the last 5 minutes were rejected
(threshold: {pct(t.reject_ratio)}, with at least {t.reject_min} rejected events).""",
            f"rejected share over 5m > {t.reject_ratio:.2f} with >= {t.reject_min} rejected in 5m",
            for_=t.reject_for,
            labels=PLATFORM,
        ),
        Alert(
            "ServicePulseWorkerDown",
            "pipeline",
            'up{job="servicepulse-worker"} == 0',
            "critical",
            "ServicePulse worker {{ $labels.instance }} is down",
            f"""\
Prometheus cannot scrape the ServicePulse worker {{{{ $labels.instance }}}} (job
{{{{ $labels.job }}}}) for more than {minutes(t.worker_down_for)}. Its partitions are not processed.""",
            "up == 0 for a servicepulse-worker target",
            for_=t.worker_down_for,
            labels=PLATFORM,
        ),
    ]
