"""The policy file's ``teams`` (the team label values kept) and ``max_teams`` (how many are
kept without a list), read side by side."""

from __future__ import annotations

from typing import Any

import pytest

from streams.core.policy import DEFAULT_POLICY_SET, PolicyError, parse_policy

BASE: dict[str, Any] = {"policies": [{"name": "all"}]}


def test_without_the_keys_the_first_hundred_teams_are_kept() -> None:
    for policies in (parse_policy(BASE), DEFAULT_POLICY_SET):
        assert (policies.teams, policies.max_teams) == (None, 100)


def test_a_list_and_a_cap_are_read_as_given() -> None:
    policies = parse_policy({**BASE, "teams": ["billing", "tech"], "max_teams": 10_000})
    assert (policies.teams, policies.max_teams) == (("billing", "tech"), 10_000)
    assert parse_policy({**BASE, "max_teams": 1}).max_teams == 1
    assert parse_policy({**BASE, "teams": ["x" * 64]}).teams == ("x" * 64,)  # 64: the longest


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"teams": "billing"}, "teams must be a list of team names, like [billing, technical]"),
        ({"teams": ["billing", ""]}, "teams must be a list of team names"),
        ({"teams": ["x" * 65]}, "teams: a team name is at most 64 printable characters"),
        ({"teams": ["a\nb"]}, "teams: a team name is at most 64 printable characters"),
        ({"max_teams": 0}, "max_teams must be a whole number from 1 to 10000"),
        ({"max_teams": 10_001}, "max_teams must be a whole number from 1 to 10000"),
        ({"max_teams": True}, "max_teams must be a whole number from 1 to 10000"),
        ({"max_teams": "5"}, "max_teams must be a whole number from 1 to 10000"),
        # both wrong: the list is read first
        ({"teams": "billing", "max_teams": 0}, "teams must be a list of team names"),
    ],
)
def test_a_bad_team_key_is_one_line(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy({**BASE, **extra})
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
