"""The contract's derived figures per team and overall, over each recording window.

CSAT, NPS, CES, survey volumes, FCR rate, created/resolved/reopened, SLA attainment and
outcomes per target, abandonment (phone and chat, short abandons left out), complaints,
first-response/next-reply/resolution p50 and p90, and the backlog over the day and week.
Names: ``level:metric:operations`` (``team:...``, ``team_target:...``, ``:...`` all teams).
"""

from __future__ import annotations

from streams.monitoring.config import LIVE_CHANNELS
from streams.monitoring.promql import ALL, TEAM, Rule, by, quantile, ratio, summed_rate


def ces_score(surveys: str, score: int) -> str:
    return surveys + '{kind="ces",score="' + str(score) + '"}'


def abandonment(labels: tuple[str, ...], w: str) -> str:
    """(abandoned - short) / (created - short), phone and chat; no short series counts as 0."""
    live = "|".join(LIVE_CHANNELS)
    abandoned = summed_rate(
        labels, f'servicepulse_contacts_abandoned_total{{channel=~"{live}"}}', w
    )
    short = summed_rate(
        labels, f'servicepulse_contacts_abandoned_short_total{{channel=~"{live}"}}', w
    )
    created = summed_rate(labels, f'servicepulse_tickets_created_total{{channel=~"{live}"}}', w)
    return (
        f"(\n  (\n    {abandoned}\n    -\n    ({short} or 0 * {abandoned})\n  )\n"
        f"  or\n  0 * {created}\n)\n/\n"
        f"(\n  (\n    {created}\n    -\n    ({short} or 0 * {created})\n  ) > 0\n)"
    )


def rules_for_window(w: str) -> list[Rule]:
    rules: list[Rule] = []

    def add(name: str, expr: str) -> None:
        rules.append({"record": name, "expr": expr})

    for level, labels in (TEAM, ALL):
        # --- satisfaction -------------------------------------------------
        surveys = "servicepulse_survey_responses_total"
        csat_all = summed_rate(labels, f'{surveys}{{kind="csat"}}', w)
        csat_good = summed_rate(labels, f'{surveys}{{kind="csat",score=~"4|5"}}', w)
        add(f"{level}:servicepulse_csat:ratio_rate{w}", ratio(csat_good, csat_all, labels))

        nps_all = summed_rate(labels, f'{surveys}{{kind="nps"}}', w)
        promoters = summed_rate(labels, f'{surveys}{{kind="nps",score=~"9|10"}}', w)
        detractors = summed_rate(labels, f'{surveys}{{kind="nps",score=~"[0-6]"}}', w)
        add(
            f"{level}:servicepulse_nps:score_rate{w}",
            f"100 * (\n  ({promoters} or 0 * {nps_all})\n  -\n"
            f"  ({detractors} or 0 * {nps_all})\n)\n/\n({nps_all} > 0)",
        )

        ces_all = summed_rate(labels, f'{surveys}{{kind="ces"}}', w)
        terms = "\n  + ".join(
            f"{s} * ({summed_rate(labels, ces_score(surveys, s), w)} or 0 * {ces_all})"
            for s in range(1, 8)
        )
        add(f"{level}:servicepulse_ces:mean_rate{w}", f"(\n  {terms}\n)\n/\n({ces_all} > 0)")

        kind_level = f"{level}_kind" if level else "kind"
        add(
            f"{kind_level}:servicepulse_survey_responses:increase{w}",
            f"{by(labels, ('kind',))} (increase({surveys}[{w}]))",
        )

        # --- resolution ---------------------------------------------------
        add(
            f"{level}:servicepulse_fcr:ratio_rate{w}",
            ratio(
                summed_rate(labels, "servicepulse_first_contact_resolutions_total", w),
                summed_rate(labels, "servicepulse_tickets_resolved_total", w),
                labels,
            ),
        )
        for counter in ("tickets_created", "tickets_resolved", "tickets_reopened"):
            add(
                f"{level}:servicepulse_{counter}:increase{w}",
                f"{by(labels)} (increase(servicepulse_{counter}_total[{w}]))",
            )

        # --- SLA ----------------------------------------------------------
        tl = (*labels, "target")
        tlevel = f"{level}_target" if level else "target"
        outcomes = "servicepulse_sla_outcomes_total"
        add(
            f"{tlevel}:servicepulse_sla_attainment:ratio_rate{w}",
            ratio(
                summed_rate(tl, f'{outcomes}{{outcome="met"}}', w),
                summed_rate(tl, outcomes, w),
                tl,
            ),
        )
        add(
            f"{tlevel}_outcome:servicepulse_sla_outcomes:increase{w}",
            f"{by(tl, ('outcome',))} (increase({outcomes}[{w}]))",
        )

        # --- abandonment (phone and chat only, as the contract says), short abandons left out
        add(f"{level}:servicepulse_abandonment:ratio_rate{w}", abandonment(labels, w))

        # --- complaints (needs servicepulse_complaints_total, see README) --
        add(
            f"{level}:servicepulse_complaints:increase{w}",
            f"{by(labels)} (increase(servicepulse_complaints_total[{w}]))",
        )

        # --- durations: median and p90 from the histograms ------------------
        for hist in ("first_response_seconds", "next_reply_seconds", "resolution_seconds"):
            for q, op in ((0.5, "p50"), (0.9, "p90")):
                add(
                    f"{level}:servicepulse_{hist}:{op}_rate{w}",
                    quantile(q, f"servicepulse_{hist}", labels, w),
                )

        # --- backlog over the window -----------------------------------------
        if w in ("1d", "7d"):
            add(
                f"{level}:servicepulse_open_tickets:avg_over_time{w}",
                f"avg_over_time({level}:servicepulse_open_tickets:sum[{w}])",
            )
            add(
                f"{level}:servicepulse_open_tickets:max_over_time{w}",
                f"max_over_time({level}:servicepulse_open_tickets:sum[{w}])",
            )
    return rules
