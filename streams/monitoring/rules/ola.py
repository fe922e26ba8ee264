"""The journey across teams: stints and OLA outcomes per team (the policy's ``ola``)."""

from __future__ import annotations

from streams.monitoring.promql import TEAM, Rule, by, quantile, ratio, summed_rate

# the team-lead board's day and week; the OLA alert reads the raw counter
WINDOWS = ("1d", "7d")


def rules_for_window(w: str) -> list[Rule]:
    """Per team: OLA attainment (stints met / judged), OLA outcomes, stint p50 and p90."""
    if w not in WINDOWS:
        return []
    labels = TEAM[1]
    ola = "servicepulse_ola_outcomes_total"
    out = [
        {
            "record": f"team:servicepulse_ola_attainment:ratio_rate{w}",
            "expr": ratio(
                summed_rate(labels, f'{ola}{{outcome="met"}}', w),
                summed_rate(labels, ola, w),
                labels,
            ),
        },
        {
            "record": f"team_outcome:servicepulse_ola_outcomes:increase{w}",
            "expr": f"{by(labels, ('outcome',))} (increase({ola}[{w}]))",
        },
    ]
    for q, op in ((0.5, "p50"), (0.9, "p90")):
        out.append(
            {
                "record": f"team:servicepulse_team_stint_seconds:{op}_rate{w}",
                "expr": quantile(q, "servicepulse_team_stint_seconds", labels, w),
            }
        )
    return out
