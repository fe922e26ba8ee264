"""The error budgets' recording rules generated from the policy's objectives (rules/slo.py).

The rules' arithmetic is tested by promtool (tests/promtool/slo_*_test.yml); here: what is
generated for which policy file.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from streams.core.policy import load_policies
from streams.monitoring.config import CONFIG
from streams.monitoring.render import alerts_yml
from streams.monitoring.rules import slo

POLICIES = """\
policies:
  - name: default
    targets: {first_response: 4h, next_reply: 8h, resolution: 3d}
"""


def policy(tmp_path: Path, objectives: str = "") -> Path:
    path = tmp_path / "policy.yml"
    path.write_text(POLICIES + objectives)
    return path


def slo_groups(text: str) -> dict[str, list[dict[str, str]]]:
    groups = yaml.safe_load(text)["groups"]
    return {g["name"]: g["rules"] for g in groups if g["name"].startswith("servicepulse.slo")}


def test_a_policy_without_objectives_generates_no_error_budget_rules(tmp_path: Path) -> None:
    policies = load_policies(policy(tmp_path))
    assert slo_groups(alerts_yml(CONFIG, policies)) == {}


def test_objectives_without_a_target_generate_no_error_budget_rules(tmp_path: Path) -> None:
    policies = load_policies(policy(tmp_path, "objectives: {window: 28d}\n"))
    assert slo_groups(alerts_yml(CONFIG, policies)) == {}


def test_the_objective_is_recorded_per_team_override_and_for_every_other_team(
    tmp_path: Path,
) -> None:
    text = """\
objectives:
  window: 30d
  first_response: 95%
  teams:
    billing: {first_response: 98%, next_reply: 90%}
    first-line: {first_response: 99.5%}
"""
    policies = load_policies(policy(tmp_path, text))
    budget = slo_groups(alerts_yml(CONFIG, policies))["servicepulse.slo.budget"]
    (objective,) = [r for r in budget if r["record"] == slo.OBJECTIVE]
    attainment = "team_target:servicepulse_slo_attainment:ratio_rate30d"
    assert objective["expr"].splitlines() == [
        f'{attainment}{{target="first_response",team="billing"}} * 0 + 0.98',
        "or",
        f'{attainment}{{target="first_response",team="first-line"}} * 0 + 0.995',
        "or",
        f'{attainment}{{target="first_response",team!="billing",team!="first-line"}} * 0 + 0.95',
        "or",
        # only billing has a next_reply objective: no term for the other teams
        f'{attainment}{{target="next_reply",team="billing"}} * 0 + 0.9',
    ]
    assert [r["record"] for r in budget] == [
        attainment,
        slo.OBJECTIVE,
        "team_target:servicepulse_slo_error_budget_remaining:ratio_rate30d",
    ]


def test_a_team_name_is_quoted_for_promql(tmp_path: Path) -> None:
    text = 'objectives: {first_response: 95%, teams: {"a\\"b": {first_response: 90%}}}\n'
    policies = load_policies(policy(tmp_path, text))
    assert policies.objectives is not None
    expr = slo.objective_rule(policies.objectives, "28d")["expr"]
    assert 'team="a\\"b"' in expr and 'team!="a\\"b"' in expr


def test_the_burn_windows_are_split_between_the_global_and_the_long_interval() -> None:
    groups = slo_groups(alerts_yml())
    assert [r["record"] for r in groups["servicepulse.slo.short"]] == [
        "team_target:servicepulse_slo_breached:ratio_rate5m",
        "team_target:servicepulse_slo_breached:ratio_rate30m",
        "team_target:servicepulse_slo_breached:ratio_rate1h",
    ]
    assert [r["record"] for r in groups["servicepulse.slo.long"]] == [
        "team_target:servicepulse_slo_breached:ratio_rate6h",
        "team_target:servicepulse_slo_breached:ratio_rate3d",
        "team_target:servicepulse_slo_outcomes:increase1h",
        "team_target:servicepulse_slo_outcomes:increase6h",
        "team_target:servicepulse_slo_outcomes:increase3d",
        "team_target:servicepulse_slo_breached:increase1h",
    ]
    intervals = {g["name"]: g.get("interval") for g in yaml.safe_load(alerts_yml())["groups"]}
    assert intervals["servicepulse.slo.short"] is None  # the global 15 s
    assert intervals["servicepulse.slo.long"] == CONFIG.thresholds.slo_long_interval == "1m"
    assert intervals["servicepulse.slo.budget"] == CONFIG.thresholds.slo_budget_interval == "5m"
