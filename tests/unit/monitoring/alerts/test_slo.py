"""The burn-rate alerts of the error budgets (alerts/slo.py): windows, severities, texts.

Their firing is tested by promtool (tests/promtool/slo_burn_test.yml).
"""

from __future__ import annotations

from pathlib import Path

from streams.core.policy import DEFAULT_POLICY_SET, load_policies
from streams.monitoring.alerts import slo
from streams.monitoring.config import CONFIG


def test_a_policy_without_objectives_has_no_burn_rate_alerts(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("policies:\n  - name: default\n    targets: {first_response: 4h}\n")
    assert slo.alerts(CONFIG, load_policies(path).objectives) == []


def test_the_page_and_the_tickets_follow_the_sre_workbook_windows() -> None:
    rules = slo.alerts(CONFIG, DEFAULT_POLICY_SET.objectives)
    assert [(a.name, a.severity, a.labels["burn_window"], a.for_) for a in rules] == [
        ("ServicePulseErrorBudgetFastBurn", "critical", "1h/5m", "2m"),
        ("ServicePulseErrorBudgetSlowBurn", "warning", "6h/30m", "15m"),
        ("ServicePulseErrorBudgetSlowBurn", "warning", "3d/6h", "15m"),
    ]
    assert [a.category for a in rules] == ["sla"] * 3  # inhibited while the pipeline is down
    fast = rules[0].expr
    assert "clamp_max(14.4 * (1 - team_target:servicepulse_slo_objective:ratio), 1)" in fast
    assert fast.endswith("team_target:servicepulse_slo_outcomes:increase1h >= 10")
    assert rules[2].expr.endswith("team_target:servicepulse_slo_outcomes:increase3d >= 20")


def test_how_long_a_budget_lasts_is_said_in_hours_then_days() -> None:
    window = 28 * 86400.0
    assert slo.spent_in(window, 14.4) == "about 47 hours"  # 672 h / 14.4 = 46.7 h
    assert slo.spent_in(window, 6) == "about 4.7 days"  # 28 d / 6 = 4.67 d
    assert slo.spent_in(window, 1) == "about 28 days"
    assert slo.window_words(window) == "28-day"
