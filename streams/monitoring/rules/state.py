"""The state gauges summed over workers (each worker reports the tickets of its partitions)."""

from __future__ import annotations

from streams.monitoring.promql import ALL, TEAM, Rule, by


def rules() -> list[Rule]:
    """Open, unanswered, oldest open, at-risk and breached-open clocks; per team and overall."""
    out: list[Rule] = []
    for level, labels in (TEAM, ALL):
        out.append(
            {
                "record": f"{level}:servicepulse_open_tickets:sum",
                "expr": f"{by(labels)} (servicepulse_open_tickets)",
            }
        )
        out.append(
            {
                "record": f"{level}:servicepulse_unanswered_tickets:sum",
                "expr": f"{by(labels)} (servicepulse_unanswered_tickets)",
            }
        )
        out.append(
            {
                "record": f"{level}:servicepulse_oldest_open_ticket_age_seconds:max",
                "expr": f"max{' by (team)' if labels else ''} "
                "(servicepulse_oldest_open_ticket_age_seconds)",
            }
        )
        tl = (*labels, "target")
        tlevel = f"{level}_target" if level else "target"
        for gauge in ("sla_at_risk_tickets", "sla_breached_open_tickets"):
            out.append(
                {
                    "record": f"{tlevel}:servicepulse_{gauge}:sum",
                    "expr": f"{by(tl)} (servicepulse_{gauge})",
                }
            )
    out.append(
        {
            "record": "team:servicepulse_open_tickets:delta1h",
            "expr": "delta(team:servicepulse_open_tickets:sum[1h])",
        }
    )
    return out
