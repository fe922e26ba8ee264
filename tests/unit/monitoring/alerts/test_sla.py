"""The SLA alerts (alerts/sla.py): the oldest unanswered contact against its policy's target."""

from __future__ import annotations

from pathlib import Path

from streams.core.policy import DEFAULT_POLICY_SET, load_policies
from streams.monitoring.alerts import sla
from streams.monitoring.config import CONFIG


def oldest_unanswered_exprs(policy_text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "policy.yml"
    path.write_text(policy_text)
    rules = sla.alerts(CONFIG, load_policies(path))
    return [a.expr for a in rules if a.name == "ServicePulseOldestUnansweredTooOld"]


def test_oldest_unanswered_threshold_is_the_teams_first_response_target(tmp_path: Path) -> None:
    policy = """\
policies:
  - name: vip
    match: {customer_tier: vip}
    targets: {first_response: 5m}
  - name: billing
    match: {team: billing}
    targets: {first_response: 30m}
  - name: rest
    match: {}
    targets: {first_response: 2h}
"""
    gauge = "team:servicepulse_oldest_unanswered_ticket_age_seconds:max"
    assert oldest_unanswered_exprs(policy, tmp_path) == [
        f'{gauge}{{team="billing"}} > 1800',
        f'{gauge}{{team!~"billing"}} > 7200',
    ]


def test_default_policy_gives_one_rule_at_the_catch_all_target() -> None:
    rules = [
        a
        for a in sla.alerts(CONFIG, DEFAULT_POLICY_SET)
        if a.name == "ServicePulseOldestUnansweredTooOld"
    ]
    assert [a.expr for a in rules] == [
        "team:servicepulse_oldest_unanswered_ticket_age_seconds:max > 14400"  # 4h
    ]
