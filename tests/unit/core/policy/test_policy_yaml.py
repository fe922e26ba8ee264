"""Policy YAML is read as written: YAML 1.2 scalars, no duplicate keys, merge keys work,
a syntax error names its line (streams/core/policy/safe_yaml.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.core.policy import (
    PolicyError,
    load_policy_file,
)
from tests.unit.core.policy.example import CONTRACT_EXAMPLE, ticket


def test_yaml_scalars_are_read_as_written(tmp_path: Path) -> None:
    # Unquoted 18:00 would be the number 1080 in YAML 1.1; unquoted dates are dates; "no" is a
    # team name, not a boolean.
    path = tmp_path / "policy.yaml"
    path.write_text(
        "calendars:\n"
        "  office:\n"
        "    timezone: UTC\n"
        "    hours: [09:00, 18:00]\n"
        "    holidays: [2026-12-25]\n"
        "policies:\n"
        "  - {name: nordic, match: {team: no}, calendar: office, targets: {resolution: 1d}}\n",
        encoding="utf-8",
    )
    policies = load_policy_file(str(path))
    office = policies.calendars["office"]
    assert office.windows == ((9 * 3600, 18 * 3600),)
    assert office.days == frozenset(range(5))  # default mon-fri
    assert [d.isoformat() for d in office.holidays] == ["2026-12-25"]
    assert policies.select(ticket(team="no")).name == "nordic"


def _file_error(path: Path) -> str:
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    text = str(caught.value)
    assert "\n" not in text
    return text


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("policies:\n  - name: a\n    match: {team: [\n", encoding="utf-8")
    text = _file_error(path)
    assert text.startswith(f"{path}: invalid YAML at line 4")


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(CONTRACT_EXAMPLE.replace("at_risk: 0.8", "at_risk: 0.8\nat_risk: 0.9"), "utf-8")
    assert _file_error(path) == f"{path}: invalid YAML at line 8, column 1: duplicate key 'at_risk'"


def test_yaml_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "x-targets: &t {first_response: 1h, resolution: 1d}\n"
        "policies:\n"
        "  - name: a\n"
        "    targets: {<<: *t, resolution: 2d}\n",
        encoding="utf-8",
    )
    # The anchor's holder is an unknown top-level key: reported as such, with the path.
    assert _file_error(path) == (
        f"{path}: unknown top-level key 'x-targets' "
        "(allowed: calendars, at_risk, policies, short_abandon, agents, max_agents, teams, "
        "max_teams, objectives, ola, staffing)"
    )
    path.write_text(
        "policies:\n"
        "  - name: a\n"
        "    targets: &t {first_response: 1h, resolution: 1d}\n"
        "  - name: b\n"
        "    targets: {<<: *t, resolution: 2d}\n",
        encoding="utf-8",
    )
    b = load_policy_file(path).policies[1]
    assert dict(b.targets) == {"first_response": 3600, "resolution": 172800}
