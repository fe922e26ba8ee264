"""What the forecast (rules/forecast.py, alerts/forecast.py) generates into alerts.yml.

The rules' arithmetic is tested by promtool (tests/promtool/forecast_*_test.yml) against
hand-worked Erlang C; here: the shape of what is generated.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
import yaml

from streams.monitoring.config import CONFIG, MonitoringConfig
from streams.monitoring.render import alerts_yml
from streams.monitoring.rules import forecast


def forecast_groups(config: MonitoringConfig = CONFIG) -> dict[str, list[dict]]:
    groups = yaml.safe_load(alerts_yml(config))["groups"]
    return {g["name"]: g["rules"] for g in groups if g["name"].startswith("servicepulse.forecast")}


def test_erlang_b_is_one_rule_per_agent_count_up_to_the_configured_most() -> None:
    small = replace(CONFIG, thresholds=replace(CONFIG.thresholds, forecast_max_agents=3))
    erlang = forecast_groups(small)["servicepulse.forecast.next_hour"]
    steps = [r for r in erlang if r["record"] == forecast.ERLANG_B]
    assert [r["labels"] for r in steps] == [{"agents": "1"}, {"agents": "2"}, {"agents": "3"}]
    # B(1) = A / (1 + A); B(3) reads B(2)
    assert steps[0]["expr"].strip() == f"{forecast.TRAFFIC} / (1 + {forecast.TRAFFIC})"
    assert f'{forecast.ERLANG_B}{{agents="2"}}' in steps[2]["expr"]
    assert "(3 + " in steps[2]["expr"]


def test_the_next_hour_is_one_group_inputs_erlang_service_level_then_the_alerts() -> None:
    names = [g["name"] for g in yaml.safe_load(alerts_yml())["groups"]]
    records = [r["record"] for r in forecast_groups()["servicepulse.forecast.next_hour"]]
    # in order at one timestamp: the inputs, Erlang B, then the service level
    assert records.index(forecast.TRAFFIC) < records.index(forecast.ERLANG_B)
    assert records.index(forecast.ERLANG_B) < records.index(forecast.SL)
    order = [
        "servicepulse.forecast.next_hour",
        "servicepulse.forecast.volume",
        "servicepulse.forecast",
    ]
    assert [n for n in names if n.startswith("servicepulse.forecast")] == order


def test_the_thresholds_come_from_the_config() -> None:
    t = replace(
        CONFIG.thresholds,
        surge_ratio=2.0,
        surge_min_contacts=50,
        forecast_min_contacts=30,
        backlog_eta_max_seconds=14400,
        forecast_weeks=2,
        forecast_recent_window="30m",
        backlog_usual_ratio=1.5,
        backlog_usual_fallback_window="2d",
    )
    text = alerts_yml(replace(CONFIG, thresholds=t))
    assert "team:servicepulse_contacts_vs_baseline:ratio30m >= 2\n" in text
    assert "team:servicepulse_contacts:increase30m >= 50\n" in text
    # 30 minutes of contacts at an hour's pace: x 2
    assert "team:servicepulse_contacts:increase30m * 2 / on (team)" in text
    assert 'rate(servicepulse_tickets_created_total{channel=~"phone|chat"}[30m])' in text
    assert "team:servicepulse_forecast_arrivals:rate1h * 3600 >= 30\n" in text
    assert "team:servicepulse_backlog_clears_in_seconds:rate1h > 14400\n" in text
    assert "offset 335h))\n" in text and "offset 503h" not in text  # two weeks back, no more
    assert f"{forecast.BACKLOG} > on (team) 1.5 * {forecast.BACKLOG_USUAL}\n" in text
    assert re.search(r"open_tickets\[1h\] offset 336h\)\)\n *\) / 2\n", text)
    assert "avg_over_time(servicepulse_open_tickets[2d]))" in text
    assert "(servicepulse_open_tickets offset 2d)" in text


def test_every_forecast_alert_warns_the_team_and_is_inhibited_with_the_backlog_alerts() -> None:
    rules = forecast_groups()["servicepulse.forecast"]
    assert {r["alert"] for r in rules} == {
        "ServicePulseServiceLevelForecastLow",
        "ServicePulseContactSurge",
        "ServicePulseBacklogNotClearing",
    }
    for rule in rules:
        assert rule["labels"] == {"severity": "warning", "category": "backlog"}
        assert rule["for"]
        assert rule["annotations"]["runbook_url"] == CONFIG.runbook(rule["alert"])


def test_chat_work_counts_over_the_chats_at_once_of_each_team_and_the_default() -> None:
    t = replace(CONFIG.thresholds, chat_concurrency=3, chat_concurrency_by_team={"duo": 2})
    work = forecast.agent_work_seconds(replace(CONFIG, thresholds=t))
    metric = "servicepulse_agent_work_seconds_total"
    assert f'increase({metric}{{channel=~"phone"}}[1d])\n' in work
    assert f'increase({metric}{{channel="chat",team="duo"}}[1d]) / 2\n' in work
    # every other team's chats: the default, the named teams left out (counted once)
    assert f'increase({metric}{{channel="chat",team!="duo"}}[1d]) / 3\n' in work
    assert t.chats_at_once("duo") == 2 and t.chats_at_once("solo") == 3


def test_the_shipped_rules_count_a_chat_as_one_contact_at_a_time() -> None:
    work = forecast.agent_work_seconds(CONFIG)
    assert work.count(" / ") == 1
    assert '{channel="chat"}[1d]) / 1\n' in work


@pytest.mark.parametrize(
    "changes",
    [
        {"chat_concurrency": 0.5},
        {"chat_concurrency_by_team": {"duo": 0}},
        {"chat_concurrency_by_team": {'du"o': 2}},
    ],
)
def test_a_chat_concurrency_below_one_or_for_a_bad_team_name_is_refused(changes: dict) -> None:
    with pytest.raises(ValueError, match="chat"):
        replace(CONFIG.thresholds, **changes)
