"""The pipeline's own figures (no team): events accepted and rejected, event lag."""

from __future__ import annotations

from streams.monitoring.promql import Rule, quantile, ratio

# live windows only: the pipeline's alerts and the operations board read them
WINDOWS = ("5m", "1h")


def rules_for_window(w: str) -> list[Rule]:
    if w not in WINDOWS:
        return []
    rejected = "sum (rate(servicepulse_events_rejected_total[" + w + "]))"
    processed = "sum (rate(servicepulse_events_processed_total[" + w + "]))"
    out = [
        {
            "record": f"job:servicepulse_events_processed:rate{w}",
            "expr": f"sum by (job) (rate(servicepulse_events_processed_total[{w}]))",
        },
        {
            "record": f"reason:servicepulse_events_rejected:rate{w}",
            "expr": f"sum by (reason) (rate(servicepulse_events_rejected_total[{w}]))",
        },
        {
            "record": f":servicepulse_events_rejected:ratio_rate{w}",
            "expr": ratio(rejected, f"({rejected} + {processed})", ()),
        },
    ]
    for q, op in ((0.5, "p50"), (0.99, "p99")):
        out.append(
            {
                "record": f":servicepulse_event_lag_seconds:{op}_rate{w}",
                "expr": quantile(q, "servicepulse_event_lag_seconds", (), w),
            }
        )
    return out
