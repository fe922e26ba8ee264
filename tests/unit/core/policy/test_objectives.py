"""The policy file's `objectives` (contract section 2): shares met per target over a window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streams.core.policy import (
    DEFAULT_POLICY_SET,
    Objectives,
    PolicyError,
    load_policy_file,
    parse_policy,
)

POLICIES = [{"name": "default", "targets": {"first_response": "4h", "resolution": "3d"}}]


def with_objectives(objectives: Any, **top: Any) -> dict[str, Any]:
    return {"policies": POLICIES, "objectives": objectives, **top}


def test_the_contract_example_reads_as_shares_per_target_and_team(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text(
        """\
policies:
  - name: default
    targets: {first_response: 4h, resolution: 3d}
objectives:                     # service-level objectives: share met over a rolling window
  window: 28d                   # default 28d; error budgets and burn-rate alerts derive from it
  first_response: 95%
  resolution: 90%
  teams: {billing: {first_response: 98%}}   # per-team overrides
"""
    )
    objectives = load_policy_file(path).objectives
    assert objectives is not None
    assert objectives.window == 28 * 86400  # 2,419,200 s
    assert dict(objectives.targets) == {"first_response": 0.95, "resolution": 0.90}
    assert objectives.of("billing") == {"first_response": 0.98, "resolution": 0.90}
    assert objectives.of("sales") == {"first_response": 0.95, "resolution": 0.90}
    assert objectives.measured() == ("first_response", "resolution")


def test_a_file_without_objectives_has_none() -> None:
    assert parse_policy({"policies": POLICIES}).objectives is None


def test_the_window_defaults_to_28_days_and_shares_may_be_fractions_or_decimals() -> None:
    objectives = parse_policy(
        with_objectives({"first_response": 0.95, "next_reply": "99.5%"})
    ).objectives
    assert objectives == Objectives(28 * 86400, {"first_response": 0.95, "next_reply": 0.995})


def test_a_team_may_set_a_target_that_the_other_teams_have_no_objective_for() -> None:
    objectives = parse_policy(
        with_objectives({"first_response": "95%", "teams": {"vip-desk": {"next_reply": "97%"}}})
    ).objectives
    assert objectives is not None
    assert objectives.of("vip-desk") == {"first_response": 0.95, "next_reply": 0.97}
    assert objectives.of("billing") == {"first_response": 0.95}
    assert objectives.measured() == ("first_response", "next_reply")  # the contract's order


def test_an_empty_objectives_key_sets_the_window_and_no_target() -> None:
    objectives = parse_policy(with_objectives(None)).objectives
    assert objectives == Objectives()
    assert objectives is not None and objectives.measured() == ()


def test_the_objectives_are_read_only() -> None:
    objectives = parse_policy(with_objectives({"first_response": "95%"})).objectives
    assert objectives is not None
    with pytest.raises(TypeError):
        objectives.targets["first_response"] = 0.5  # type: ignore[index]


def test_the_built_in_policy_set_has_the_contract_example_objectives() -> None:
    objectives = DEFAULT_POLICY_SET.objectives
    assert objectives == Objectives(
        28 * 86400,
        {"first_response": 0.95, "resolution": 0.90},
        {"billing": {"first_response": 0.98}},
    )


@pytest.mark.parametrize(
    ("objectives", "message"),
    [
        ("95%", "objectives must be a mapping like {window: 28d, first_response: 95%}"),
        ({"windows": "28d"}, "objectives: unknown key 'windows' (allowed: window, first_response, "
         "next_reply, resolution, teams)"),
        ({"first_reply": "95%"}, "objectives: unknown key 'first_reply'"),
        ({"window": "4w"}, "objectives: window: invalid duration '4w': unknown unit 'w'"),
        ({"window": 28}, "objectives: window: invalid duration 28: missing unit"),
        ({"window": "12h"}, "objectives: window must be from 1d to 366d, not '12h'"),
        ({"window": "367d"}, "objectives: window must be from 1d to 366d, not '367d'"),
        ({"first_response": "100%"}, "objectives: first_response must be below 100% "
         "(100% leaves no error budget)"),
        ({"first_response": "0%"}, "objectives: first_response must be above 0%"),
        ({"first_response": 95}, "objectives: first_response must be a percentage below 100%, "
         "like 95%, not 95 (a number is a fraction: write 95% or 0.95)"),
        ({"first_response": "95"}, "objectives: first_response must be a percentage below 100%, "
         "like 95%, not '95'"),
        ({"first_response": "-5%"}, "objectives: first_response must be a percentage"),
        ({"first_response": True}, "objectives: first_response must be a percentage"),
        ({"resolution": 0}, "objectives: resolution must be above 0%"),
        ({"teams": ["billing"]}, "objectives: teams must be a mapping like "
         "{billing: {first_response: 98%}}"),
        ({"teams": {"billing": "98%"}}, "objectives: teams: billing: must be a mapping like "
         "{first_response: 98%}"),
        ({"teams": {"billing": {"window": "7d"}}}, "objectives: teams: billing: unknown target "
         "'window' (allowed: first_response, next_reply, resolution)"),
        ({"teams": {"billing": {"first_response": "101%"}}}, "objectives: teams: billing: "
         "first_response must be below 100%"),
        ({"teams": {"x" * 65: {"first_response": "98%"}}}, "objectives: teams: a team name is "
         "at most 64 printable characters"),
    ],
)  # fmt: skip
def test_a_bad_objective_is_one_line_naming_the_key(objectives: Any, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(with_objectives(objectives))
    text = str(caught.value)
    assert text.startswith(message), text
    assert "\n" not in text


def test_an_override_for_a_team_missing_from_the_teams_list_is_an_error() -> None:
    doc = with_objectives({"teams": {"biling": {"first_response": "98%"}}}, teams=["billing"])
    with pytest.raises(PolicyError, match=r"^objectives: teams: biling: not one of the policy's"):
        parse_policy(doc)
    other = with_objectives({"teams": {"other": {"first_response": "80%"}}}, teams=["billing"])
    objectives = parse_policy(other).objectives
    assert objectives is not None and objectives.of("other") == {"first_response": 0.80}


def test_an_error_in_a_file_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("policies: []\nobjectives: {first_response: 100%}\n")
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    assert str(caught.value) == (
        f"{path}: objectives: first_response must be below 100% (100% leaves no error budget)"
    )
