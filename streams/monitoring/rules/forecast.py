"""Warn before having to react: the next hour's service level by Erlang C, contact
volume against the same hour of past weeks, and when the backlog clears (docs/forecast.md).

Generated into deploy/prometheus/rules/alerts.yml (the ``servicepulse.forecast.*`` recording
groups, then the ``servicepulse.forecast`` alerts), reading only the exporter's raw series, so
``promtool test rules`` can load that file alone. Recording rules, ``level:metric:operations``:

    team:servicepulse_live_contacts:rate{R}                phone+chat contacts per second (R: 15m)
    team:servicepulse_live_contacts_next_hour:rate1h_weeks the next hour of the past weeks
    team:servicepulse_forecast_arrivals:rate1h             blended arrivals of the next hour
    team:servicepulse_forecast_handle_seconds:mean{W}      AHT of phone+chat in agent time: a chat
                                                           / the chats at once (W: 1d)
    team:servicepulse_forecast_agents:count                agents planned for the coming hour
                                                           (policy staffing), else on duty now
    team:servicepulse_forecast_traffic:erlangs             offered traffic A = arrivals x AHT
    agents:servicepulse_forecast_agents:count              the table k = 1..max (label agents)
    team_agents:servicepulse_forecast_erlang_b:ratio       Erlang B of k agents (recursion)
    team_agents:servicepulse_forecast_{agents:count,traffic:erlangs,handle_seconds:mean{W}}
                                                           k, A and AHT beside each
    team_agents:servicepulse_forecast_{wait_probability,service_level}:ratio, ..._asa_seconds:mean
    team:servicepulse_forecast_{wait_probability,service_level}:ratio, ..._asa_seconds:mean
                                                           the same with the agents on duty
    team:servicepulse_forecast_agents_{needed,short}:count agents for the goal, and to add
    team:servicepulse_contacts:increase1h, ..._contacts_baseline:increase1h, ..._vs_baseline:ratio1h
    team:servicepulse_contacts:increase{R}, ..._contacts_vs_baseline:ratio{R} (at the hour's pace)
    team:servicepulse_backlog_{inflow,outflow,drain}:rate1h, team:servicepulse_backlog:sum
    team:servicepulse_backlog_clears_in_seconds:rate1h
    team:servicepulse_backlog_baseline:avg1h               open tickets, the same hour of past weeks
    team:servicepulse_backlog_usual:avg                    that, else the mean of the last day

PromQL has no loop, so Erlang B's recursion ``B(k) = A B(k-1) / (k + A B(k-1))`` is one rule
per k, each reading the one before in the same group (rules of a group run in order, at one
timestamp). Every other figure is one rule over the whole family, the ``agents`` label
carrying k; the agents on duty pick their member with ``count_values``.
"""

from __future__ import annotations

from streams.monitoring.config import LIVE_CHANNELS, MonitoringConfig
from streams.monitoring.promql import Group, Rule, seconds

CREATED = "servicepulse_tickets_created_total"
RESOLVED = "servicepulse_tickets_resolved_total"
ABANDONED = "servicepulse_contacts_abandoned_total"
WORK = "servicepulse_agent_work_seconds_total"
AGENTS = "servicepulse_agents"
OPEN = "servicepulse_open_tickets"
LIVE = '{channel=~"' + "|".join(LIVE_CHANNELS) + '"}'
CHAT = "chat"  # the live channel where an agent may handle several contacts at once

LIVE_RATE = "team:servicepulse_live_contacts:rate{w}"
LIVE_NEXT = "team:servicepulse_live_contacts_next_hour:rate1h_weeks"
ARRIVALS = "team:servicepulse_forecast_arrivals:rate1h"
AHT = "team:servicepulse_forecast_handle_seconds:mean{w}"
STAFF = "team:servicepulse_forecast_agents:count"
TRAFFIC = "team:servicepulse_forecast_traffic:erlangs"
STEPS = "agents:servicepulse_forecast_agents:count"
ERLANG_B = "team_agents:servicepulse_forecast_erlang_b:ratio"
K_ALL = "team_agents:servicepulse_forecast_agents:count"
A_ALL = "team_agents:servicepulse_forecast_traffic:erlangs"
H_ALL = "team_agents:servicepulse_forecast_handle_seconds:mean{w}"
WAIT_ALL = "team_agents:servicepulse_forecast_wait_probability:ratio"
SL_ALL = "team_agents:servicepulse_forecast_service_level:ratio"
ASA_ALL = "team_agents:servicepulse_forecast_asa_seconds:mean"
WAIT = "team:servicepulse_forecast_wait_probability:ratio"
SL = "team:servicepulse_forecast_service_level:ratio"
ASA = "team:servicepulse_forecast_asa_seconds:mean"
NEEDED = "team:servicepulse_forecast_agents_needed:count"
SHORT = "team:servicepulse_forecast_agents_short:count"
CONTACTS = "team:servicepulse_contacts:increase1h"
BASELINE = "team:servicepulse_contacts_baseline:increase1h"
VS_BASELINE = "team:servicepulse_contacts_vs_baseline:ratio1h"
RECENT = "team:servicepulse_contacts:increase{w}"
RECENT_VS_BASELINE = "team:servicepulse_contacts_vs_baseline:ratio{w}"
INFLOW = "team:servicepulse_backlog_inflow:rate1h"
OUTFLOW = "team:servicepulse_backlog_outflow:rate1h"
DRAIN = "team:servicepulse_backlog_drain:rate1h"
BACKLOG = "team:servicepulse_backlog:sum"
CLEARS_IN = "team:servicepulse_backlog_clears_in_seconds:rate1h"
BACKLOG_BASELINE = "team:servicepulse_backlog_baseline:avg1h"
BACKLOG_USUAL = "team:servicepulse_backlog_usual:avg"


def threshold_seconds(config: MonitoringConfig) -> float:
    """The service-level threshold of the live channels (the 20 of 80/20): the strictest."""
    return min(config.service_level_seconds[c] for c in LIVE_CHANNELS)


def _weeks(config: MonitoringConfig, expr: str, hours_back: int) -> str:
    """The mean over the past weeks of ``expr`` (a range ``[1h] offset OFFSET``), OFFSET whole
    weeks minus ``hours_back`` hours: 0 is the same hour, 1 the hour after it."""
    n = config.thresholds.forecast_weeks
    terms = [expr.replace("OFFSET", f"{168 * week - hours_back}h") for week in range(1, n + 1)]
    return "(\n  " + "\n  + ".join(terms) + f"\n) / {n}"


def agent_work_seconds(config: MonitoringConfig) -> str:
    """The agent seconds of phone and chat work over the AHT window, per team: a chat's handle
    time divided by the chats an agent handles at once (the team's own, else the default)."""
    t = config.thresholds
    window = t.forecast_aht_window
    calls = "|".join(c for c in LIVE_CHANNELS if c != CHAT)
    own = t.chat_concurrency_by_team
    others = "".join(f',team!="{team}"' for team in own)
    terms = [f'increase({WORK}{{channel=~"{calls}"}}[{window}])']
    terms += [
        f'increase({WORK}{{channel="{CHAT}",team="{team}"}}[{window}]) / {chats:g}'
        for team, chats in own.items()
    ]
    terms.append(f'increase({WORK}{{channel="{CHAT}"{others}}}[{window}]) / {t.chat_concurrency:g}')
    return "sum by (team) (\n  " + "\n  or\n  ".join(terms) + "\n)"


def input_rules(config: MonitoringConfig) -> list[Rule]:
    t = config.thresholds
    w = t.forecast_history_weight
    aht = AHT.format(w=t.forecast_aht_window)
    recent = t.forecast_recent_window
    live_rate = LIVE_RATE.format(w=recent)
    return [
        {"record": live_rate, "expr": f"sum by (team) (rate({CREATED}{LIVE}[{recent}]))"},
        {
            "record": LIVE_NEXT,
            "expr": _weeks(config, f"sum by (team) (rate({CREATED}{LIVE}[1h] offset OFFSET))", 1),
        },
        {
            # without the past weeks (a new team, a short history): the recent rate alone
            "record": ARRIVALS,
            "expr": f"{w:g} * {LIVE_NEXT} + {1 - w:g} * {live_rate}\nor\n{live_rate}",
        },
        {
            # agent time per contact: a chat's handle time over the chats an agent handles
            # at once (agent-Erlangs); with concurrency 1, the AHT of phone and chat
            "record": aht,
            "expr": f"{agent_work_seconds(config)}\n/\n"
            f"(sum by (team) (increase({RESOLVED}{LIVE}[{t.forecast_aht_window}])) > 0)",
        },
        {
            # the policy's staffing for the coming clock hour first (the hour forecast);
            # without a plan, agent.status now (available + busy; 0 when all are away or
            # offline); the plan now from an exporter without the coming hour's
            "record": STAFF,
            "expr": f'max by (team) ({AGENTS}{{status="planned_next_hour"}})\n'
            f'or\nsum by (team) ({AGENTS}{{status=~"available|busy"}})\n'
            f'or\nsum by (team) (0 * {AGENTS}{{status!~"planned|planned_next_hour"}})\n'
            f'or\nmax by (team) ({AGENTS}{{status="planned"}})',
        },
        {"record": TRAFFIC, "expr": f"{ARRIVALS} * on (team) {aht}"},
    ]


def erlang_rules(config: MonitoringConfig) -> list[Rule]:
    """The table of k, then Erlang B for k = 1..max, one rule each (the recursion)."""
    most = config.thresholds.forecast_max_agents
    table = "\nor ".join(
        f'label_replace(vector({k}), "agents", "{k}", "", "")' for k in range(1, most + 1)
    )
    rules = [{"record": STEPS, "expr": table}]
    for k in range(1, most + 1):
        if k == 1:
            step = f"{TRAFFIC} / (1 + {TRAFFIC})"  # B(0) = 1
        else:
            prev = f'{TRAFFIC} * on (team) {ERLANG_B}{{agents="{k - 1}"}}'
            step = f"{prev}\n/\n({k} + {prev})"
        rules.append({"record": ERLANG_B, "expr": step, "labels": f"agents={k}"})
    return rules


def service_level_rules(config: MonitoringConfig) -> list[Rule]:
    t = config.thresholds
    aht = AHT.format(w=t.forecast_aht_window)
    goal = t.service_level_min
    on_duty = f'count_values by (team) ("agents", {STAFF})'
    none_on_duty = f"on (team) ({STAFF} < 1)"
    k, a, h, b = K_ALL, A_ALL, H_ALL.format(w=t.forecast_aht_window), ERLANG_B
    most = t.forecast_max_agents
    return [
        # k, A and AHT beside every Erlang B, so each figure below is one expression
        {"record": k, "expr": f"0 * {b} + on (agents) group_left () {STEPS}"},
        {"record": a, "expr": f"0 * {b} + on (team) group_left () {TRAFFIC}"},
        {"record": h, "expr": f"0 * {b} + on (team) group_left () {aht}"},
        {
            # Erlang C; k <= A: the queue grows without bound, every contact waits
            "record": WAIT_ALL,
            "expr": f"{k} * {b} / ({k} - {a} * (1 - {b}))\nand {k} > {a}\nor\n0 * {b} + 1",
        },
        {
            "record": SL_ALL,
            "expr": f"clamp_min(\n  1 - {WAIT_ALL}\n  * exp(-({k} - {a}) * "
            f"{threshold_seconds(config):g} / {h}),\n  0\n)\nand {k} > {a}\nor\n0 * {b}",
        },
        {"record": ASA_ALL, "expr": f"{WAIT_ALL} * {h} / ({k} - {a})\nand {k} > {a}"},
        {
            "record": WAIT,
            "expr": f"max by (team) ({WAIT_ALL} and on (team, agents) {on_duty})\n"
            f"or\n(0 * {TRAFFIC} + 1) and {none_on_duty}",
        },
        {
            # beyond the table's max agents: the service level of the max (a lower bound)
            "record": SL,
            "expr": f"max by (team) ({SL_ALL} and on (team, agents) {on_duty})\n"
            f"or\n0 * {TRAFFIC} and {none_on_duty}\n"
            f"or\nmax by (team) ({SL_ALL}) and on (team) ({STAFF} > {most})",
        },
        {
            "record": ASA,
            "expr": f"max by (team) ({ASA_ALL} and on (team, agents) {on_duty})",
        },
        {
            # the service level grows with k: the k below the goal, plus one (max + 1: more)
            "record": NEEDED,
            "expr": f"count by (team) ({SL_ALL} < {goal:g}) + 1\nor\n0 * {TRAFFIC} + 1",
        },
        {"record": SHORT, "expr": f"clamp_min({NEEDED} - on (team) {STAFF}, 0)"},
    ]


def volume_rules(config: MonitoringConfig) -> list[Rule]:
    window = config.thresholds.forecast_recent_window
    recent = RECENT.format(w=window)
    return [
        {"record": CONTACTS, "expr": f"sum by (team) (increase({CREATED}[1h]))"},
        {
            "record": BASELINE,
            "expr": _weeks(config, f"sum by (team) (increase({CREATED}[1h] offset OFFSET))", 0),
        },
        {"record": VS_BASELINE, "expr": f"{CONTACTS} / on (team) ({BASELINE} > 0)"},
        {"record": recent, "expr": f"sum by (team) (increase({CREATED}[{window}]))"},
        {
            # the recent window's contacts at an hour's pace against the hour's baseline
            "record": RECENT_VS_BASELINE.format(w=window),
            "expr": f"{recent} * {3600 / seconds(window):g} / on (team) ({BASELINE} > 0)",
        },
    ]


def backlog_rules(config: MonitoringConfig) -> list[Rule]:
    fallback = config.thresholds.backlog_usual_fallback_window
    resolved = f"sum by (team) (rate({RESOLVED}[1h]))"
    return [
        {"record": INFLOW, "expr": f"sum by (team) (rate({CREATED}[1h]))"},
        {
            # resolutions and abandoned contacts leave the backlog (no abandon series: 0)
            "record": OUTFLOW,
            "expr": f"{resolved}\n+ on (team)\n"
            f"(sum by (team) (rate({ABANDONED}[1h])) or 0 * {resolved})",
        },
        {"record": DRAIN, "expr": f"{OUTFLOW} - on (team) {INFLOW}"},
        {"record": BACKLOG, "expr": f"sum by (team) ({OPEN})"},
        {
            # none while the backlog grows or holds; 0 when it is empty
            "record": CLEARS_IN,
            "expr": f"{BACKLOG} / on (team) ({DRAIN} > 0)\nor\n{BACKLOG} == 0",
        },
        {
            "record": BACKLOG_BASELINE,
            "expr": _weeks(config, f"sum by (team) (avg_over_time({OPEN}[1h] offset OFFSET))", 0),
        },
        {
            # without the past weeks: the mean of the fallback window, only for a team with
            # that much history (its backlog was exported a window ago)
            "record": BACKLOG_USUAL,
            "expr": f"{BACKLOG_BASELINE}\nor\n"
            f"sum by (team) (avg_over_time({OPEN}[{fallback}]))\n"
            f"and on (team)\nsum by (team) ({OPEN} offset {fallback})",
        },
    ]


def recording_groups(config: MonitoringConfig) -> list[Group]:
    """(group name, interval, rules), in evaluation order. The inputs, Erlang B and the
    service level are one group: its rules run in order at one timestamp, where a group each
    would add up to an evaluation interval of lag per step (the forecast would trail a surge
    by three intervals)."""
    every = config.thresholds.forecast_interval
    next_hour = input_rules(config) + erlang_rules(config) + service_level_rules(config)
    return [
        ("servicepulse.forecast.next_hour", every, next_hour),
        ("servicepulse.forecast.volume", every, volume_rules(config) + backlog_rules(config)),
    ]
