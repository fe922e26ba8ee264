"""deploy/prometheus/rules/recording.yml — the recording rules of ServicePulse.

The derived figures of the contract (CSAT, NPS, CES, FCR rate, SLA attainment,
abandonment rate, response/resolution quantiles, backlog) are recorded per team
and overall, over the windows each audience needs:

    5m, 1h  live operations (wallboards, alerts)
    1d      daily review
    7d      weekly executive panels

Names follow the ``level:metric:operations`` convention of the Prometheus docs
and the monitoring mixins:

    team:...          aggregated by (team)
    team_target:...   aggregated by (team, target)
    :...              all teams together (empty level, as in kube-prometheus)

Every division is guarded: a window without a denominator yields no series,
never NaN; a numerator without series counts as 0 when the denominator exists.

Windows and thresholds come from streams/monitoring/config.py; ``servicepulse
generate`` writes the file, ``servicepulse generate --check`` fails on drift.
"""

from __future__ import annotations

from streams.monitoring.config import CONFIG, LIVE_CHANNELS, WINDOWS, MonitoringConfig

# (level prefix, `by` clause labels) for "per team" and "overall".
TEAM = ("team", ("team",))
ALL = ("", ())


def by(labels: tuple[str, ...], extra: tuple[str, ...] = ()) -> str:
    return f"sum by ({', '.join(labels + extra)})" if labels + extra else "sum"


def on(labels: tuple[str, ...]) -> str:
    return f"on ({', '.join(labels)})"


def ratio(good: str, total: str, labels: tuple[str, ...]) -> str:
    """good / total, 0 when total exists but good has no series, nothing when total is 0."""
    return f"(\n  {good}\n  or\n  0 * {total}\n)\n/\n({total} > 0)"


def summed_rate(labels: tuple[str, ...], selector: str, w: str) -> str:
    return f"{by(labels)} (rate({selector}[{w}]))"


def ces_score(surveys: str, score: int) -> str:
    return surveys + '{kind="ces",score="' + str(score) + '"}'


def quantile(q: float, metric: str, labels: tuple[str, ...], w: str) -> str:
    buckets = f"{by(labels, ('le',))} (rate({metric}_bucket[{w}]))"
    count = f"{by(labels)} (rate({metric}_count[{w}]))"
    return f"histogram_quantile({q}, {buckets})\nand {on(labels)}\n({count} > 0)"


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


def rules_for_window(w: str) -> list[dict[str, str]]:
    rules: list[dict[str, str]] = []

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

    # --- the pipeline itself (no team) -------------------------------------
    if w in ("5m", "1h"):
        add(
            f"job:servicepulse_events_processed:rate{w}",
            f"sum by (job) (rate(servicepulse_events_processed_total[{w}]))",
        )
        add(
            f"reason:servicepulse_events_rejected:rate{w}",
            f"sum by (reason) (rate(servicepulse_events_rejected_total[{w}]))",
        )
        add(
            f":servicepulse_events_rejected:ratio_rate{w}",
            ratio(
                "sum (rate(servicepulse_events_rejected_total[" + w + "]))",
                "(sum (rate(servicepulse_events_rejected_total[" + w + "]))"
                " + sum (rate(servicepulse_events_processed_total[" + w + "])))",
                (),
            ),
        )
        for q, op in ((0.5, "p50"), (0.99, "p99")):
            add(
                f":servicepulse_event_lag_seconds:{op}_rate{w}",
                quantile(q, "servicepulse_event_lag_seconds", (), w),
            )
    # --- the journey across teams: stints and OLA outcomes per team --------
    if w in OLA_WINDOWS:
        rules += ola_rules(w)
    return rules


# Windows of the stint and OLA rules (the team-lead board's day and week; the OLA alert reads
# the raw counter).
OLA_WINDOWS = ("1d", "7d")


def ola_rules(w: str) -> list[dict[str, str]]:
    """Per team: OLA attainment (stints met / judged), OLA outcomes, stint p50 and p90."""
    labels = TEAM[1]
    ola = "servicepulse_ola_outcomes_total"
    rules = [
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
        rules.append(
            {
                "record": f"team:servicepulse_team_stint_seconds:{op}_rate{w}",
                "expr": quantile(q, "servicepulse_team_stint_seconds", labels, w),
            }
        )
    return rules


def state_rules() -> list[dict[str, str]]:
    """Gauges summed over workers (each worker reports the tickets of its partitions)."""
    rules: list[dict[str, str]] = []
    for level, labels in (TEAM, ALL):
        rules.append(
            {
                "record": f"{level}:servicepulse_open_tickets:sum",
                "expr": f"{by(labels)} (servicepulse_open_tickets)",
            }
        )
        rules.append(
            {
                "record": f"{level}:servicepulse_unanswered_tickets:sum",
                "expr": f"{by(labels)} (servicepulse_unanswered_tickets)",
            }
        )
        rules.append(
            {
                "record": f"{level}:servicepulse_oldest_open_ticket_age_seconds:max",
                "expr": f"max{' by (team)' if labels else ''} "
                "(servicepulse_oldest_open_ticket_age_seconds)",
            }
        )
        tl = (*labels, "target")
        tlevel = f"{level}_target" if level else "target"
        for gauge in ("sla_at_risk_tickets", "sla_breached_open_tickets"):
            rules.append(
                {
                    "record": f"{tlevel}:servicepulse_{gauge}:sum",
                    "expr": f"{by(tl)} (servicepulse_{gauge})",
                }
            )
    rules.append(
        {
            "record": "team:servicepulse_open_tickets:delta1h",
            "expr": "delta(team:servicepulse_open_tickets:sum[1h])",
        }
    )
    return rules


def render(config: MonitoringConfig = CONFIG) -> str:
    """The text of recording.yml."""
    from streams.monitoring import contact_centre

    out = [
        "# GENERATED by `servicepulse generate` from streams/monitoring/ — do not edit by hand.",
        "# Names, meanings and labels: deploy/prometheus/README.md.",
        "groups:",
    ]

    def group(name: str, interval: str | None, rules: list[dict[str, str]]) -> None:
        out.append(f"  - name: {name}")
        if interval:
            out.append(f"    interval: {interval}")
        out.append("    rules:")
        for r in rules:
            out.append(f"      - record: {r['record']}")
            out.append("        expr: |")
            out.extend(f"          {line}" for line in r["expr"].splitlines())

    group("servicepulse.state", None, state_rules())
    group("servicepulse.contact_centre.state", None, contact_centre.state_rules())
    for w, interval in WINDOWS.items():
        group(f"servicepulse.window.{w}", interval, rules_for_window(w))
        group(
            f"servicepulse.contact_centre.{w}", interval, contact_centre.rules_for_window(w, config)
        )
    return "\n".join(out) + "\n"
