"""The policy file's keys for the contact-centre figures: short_abandon, agents, max_agents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streams.core.policy import DEFAULT_POLICY_SET, PolicyError, load_policy_file, parse_policy

BASE: dict[str, Any] = {"policies": [{"name": "all"}]}


def test_defaults_are_ten_seconds_and_two_hundred_agents_without_a_roster() -> None:
    for policies in (parse_policy(BASE), DEFAULT_POLICY_SET):
        assert policies.short_abandon == 10.0
        assert policies.agents is None
        assert policies.max_agents == 200


def test_the_keys_are_read_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("short_abandon: 2m\nagents: [a-17, a-18]\npolicies: []\n")
    policies = load_policy_file(path)
    assert policies.short_abandon == 120.0
    assert policies.agents == ("a-17", "a-18")
    assert parse_policy({**BASE, "max_agents": 5}).max_agents == 5
    assert parse_policy({**BASE, "short_abandon": "0s"}).short_abandon == 0.0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"agents": ["a1"], "max_agents": 3}, "give either 'agents' (a roster) or 'max_agents'"),
        ({"max_agents": 0}, "max_agents must be a whole number of at least 1"),
        ({"max_agents": "200"}, "max_agents must be a whole number of at least 1"),
        ({"max_agents": True}, "max_agents must be a whole number of at least 1"),
        ({"max_agents": 2.5}, "max_agents must be a whole number of at least 1"),
        ({"agents": "a1"}, "'agents' must be a list of agent ids"),
        ({"agents": ["a1", ""]}, "agents[1]: an agent id must be a non-empty string"),
        ({"agents": ["a1", 7]}, "agents[1]: an agent id must be a non-empty string"),
        ({"agents": ["a1", "a1"]}, "agents[1]: agent 'a1' is listed twice"),
        ({"agents": ["x" * 65]}, "agents[0]: an agent id is at most 64 printable characters"),
        ({"agents": ["a\n1"]}, "agents[0]: an agent id is at most 64 printable characters"),
        ({"agents": ["other"]}, "agents[0]: 'other' is reserved"),
        ({"agents": ["none"]}, "agents[0]: 'none' is reserved"),
        ({"short_abandon": "10sec"}, "short_abandon: invalid duration '10sec': unknown unit"),
        ({"agent": ["a1"]}, "unknown top-level key 'agent'"),
    ],
)
def test_bad_values_are_one_line_errors(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy({**BASE, **extra})
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_a_roster_of_exactly_64_characters_is_accepted() -> None:
    assert parse_policy({**BASE, "agents": ["x" * 64]}).agents == ("x" * 64,)
