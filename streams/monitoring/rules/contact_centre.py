"""Recording rules for the figures contact-centre leaders steer by.

Service level (first responses within the channel's threshold, from the ``le``
bucket of that edge, / (answered + abandoned - short abandons)), ASA (answered
contacts' mean wait, phone and chat), AHT (work seconds per resolution), SLA
attainment by policy and by channel, the oldest unanswered contact, and
per-agent figures. Thresholds come from streams/monitoring/config.py.
"""

from __future__ import annotations

from collections import defaultdict

from streams.monitoring.config import LIVE_CHANNELS, MonitoringConfig
from streams.monitoring.promql import Rule, by, le_matcher, level_name, ratio, summed_rate

# windows of the per-agent rules: agent tables are read per day and per week
AGENT_WINDOWS = ("1d", "7d")


def service_level(config: MonitoringConfig, labels: tuple[str, ...], w: str) -> str:
    """Answered within the channel's threshold / (answered + abandoned − short abandons), per
    ``labels`` (they hold channel): the contract's service level, as Genesys and Talkdesk count
    it — a contact that gave up waiting counts against the queue, one that hung up within the
    short-abandon time does not. A (team, channel) with abandons but no answer reads 0."""
    edges: dict[float, list[str]] = defaultdict(list)
    for channel, seconds in config.service_level_seconds.items():
        edges[seconds].append(channel)
    hist = "servicepulse_first_response_seconds"
    within = "\n  or\n  ".join(
        summed_rate(labels, f'{hist}_bucket{{channel=~"{"|".join(chs)}",{le_matcher(seconds)}}}', w)
        for seconds, chs in sorted(edges.items())
    )
    channels = "|".join(config.service_level_seconds)
    answered = summed_rate(labels, f'{hist}_count{{channel=~"{channels}"}}', w)
    abandoned = summed_rate(
        labels, f'servicepulse_contacts_abandoned_total{{channel=~"{channels}"}}', w
    )
    short = summed_rate(
        labels, f'servicepulse_contacts_abandoned_short_total{{channel=~"{channels}"}}', w
    )
    # a missing series of one kind counts as 0 beside a series of another
    offered = (
        f"(\n  ({answered} or 0 * {abandoned})\n  + ({abandoned} or 0 * {answered})\n"
        f"  - ({short} or 0 * {answered} or 0 * {abandoned})\n)"
    )
    return f"(\n  {within}\n  or\n  0 * {answered}\n  or\n  0 * {abandoned}\n)\n/\n({offered} > 0)"


def rules_for_window(w: str, config: MonitoringConfig) -> list[Rule]:
    rules: list[Rule] = []

    def add(name: str, expr: str) -> None:
        rules.append({"record": name, "expr": expr})

    live = "|".join(LIVE_CHANNELS)
    hist = "servicepulse_first_response_seconds"
    labels: tuple[str, ...]
    for labels in (("team", "channel"), ("channel",)):
        level = level_name(labels)
        add(f"{level}:servicepulse_service_level:ratio_rate{w}", service_level(config, labels, w))
        add(
            f"{level}:servicepulse_first_responses:increase{w}",
            f"{by(labels)} (increase({hist}_count[{w}]))",
        )
        waited = summed_rate(labels, f'{hist}_sum{{channel=~"{live}"}}', w)
        answered = summed_rate(labels, f'{hist}_count{{channel=~"{live}"}}', w)
        add(f"{level}:servicepulse_asa_seconds:mean_rate{w}", f"{waited}\n/\n({answered} > 0)")
    for labels in (("team", "channel"), ("team",), ()):
        add(
            f"{level_name(labels)}:servicepulse_aht_seconds:mean_rate{w}",
            ratio(
                summed_rate(labels, "servicepulse_agent_work_seconds_total", w),
                summed_rate(labels, "servicepulse_tickets_resolved_total", w),
                labels,
            ),
        )
    outcomes = "servicepulse_sla_outcomes_total"
    for labels in (
        ("policy", "target"),
        ("team", "policy", "target"),
        ("channel", "target"),
        ("team", "channel", "target"),
    ):
        add(
            f"{level_name(labels)}:servicepulse_sla_attainment:ratio_rate{w}",
            ratio(
                summed_rate(labels, f'{outcomes}{{outcome="met"}}', w),
                summed_rate(labels, outcomes, w),
                labels,
            ),
        )
    if w in AGENT_WINDOWS:
        rules.extend(agent_rules(w))
    return rules


def agent_rules(w: str) -> list[Rule]:
    """Per team and agent: volumes, mean first-response time, FCR, CSAT, QA, handle time."""
    ta = ("team", "agent")
    m = "servicepulse_agent_"
    surveys = f"{m}survey_responses_total"
    rules: list[Rule] = []

    def add(name: str, expr: str) -> None:
        rules.append({"record": f"team_agent:{m}{name}", "expr": expr})

    for counter in ("first_responses", "resolutions"):
        add(f"{counter}:increase{w}", f"{by(ta)} (increase({m}{counter}_total[{w}]))")
    add(
        f"first_response_seconds:mean_rate{w}",
        f"{summed_rate(ta, f'{m}first_response_seconds_total', w)}\n/\n"
        f"({summed_rate(ta, f'{m}first_responses_total', w)} > 0)",
    )
    add(
        f"fcr:ratio_rate{w}",
        ratio(
            summed_rate(ta, f"{m}first_contact_resolutions_total", w),
            summed_rate(ta, f"{m}resolutions_total", w),
            ta,
        ),
    )
    add(
        f"csat:ratio_rate{w}",
        ratio(
            summed_rate(ta, f'{surveys}{{kind="csat",score=~"4|5"}}', w),
            summed_rate(ta, f'{surveys}{{kind="csat"}}', w),
            ta,
        ),
    )
    add(f"csat_responses:increase{w}", f'{by(ta)} (increase({surveys}{{kind="csat"}}[{w}]))')
    add(
        f"qa_score:mean_rate{w}",
        f"{summed_rate(ta, f'{m}qa_score_total', w)}\n/\n"
        f"({summed_rate(ta, f'{m}qa_reviews_total', w)} > 0)",
    )
    # a mean of seconds, not a share: no handle-time series is "no data", never 0 s
    add(
        f"handle_seconds:mean_rate{w}",
        f"{summed_rate(ta, f'{m}handle_seconds_total', w)}\n/\n"
        f"({summed_rate(ta, f'{m}resolutions_total', w)} > 0)",
    )
    return rules


def state_rules() -> list[Rule]:
    """The oldest unanswered contact, per team and overall (max over workers)."""
    gauge = "servicepulse_oldest_unanswered_ticket_age_seconds"
    return [
        {"record": f"team:{gauge}:max", "expr": f"max by (team) ({gauge})"},
        {"record": f":{gauge}:max", "expr": f"max ({gauge})"},
    ]
