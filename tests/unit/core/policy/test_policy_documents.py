"""The policy document -> PolicySet: defaults, and every error as one line naming
where (streams/core/policy/parse.py)."""

from __future__ import annotations

from typing import Any

import pytest

from streams.core.calendar import ALWAYS
from streams.core.policy import (
    PolicyError,
    parse_policy,
)
from tests.unit.core.policy.example import base_doc


def test_the_optional_parts_take_their_defaults() -> None:
    policies = parse_policy({"policies": [{"name": "all"}]})
    only = policies.policies[0]
    assert policies.at_risk == 0.8
    assert only.calendar is ALWAYS
    assert dict(only.match) == {}
    assert dict(only.targets) == {}
    # `match:` / `targets:` left empty in YAML load as None: same as {}.
    same = parse_policy({"policies": [{"name": "all", "match": None, "targets": None}]})
    assert same == policies


def test_missing_target_is_not_measured() -> None:
    doc = {"policies": [{"name": "p", "targets": {"resolution": "2d"}}]}
    policy = parse_policy(doc).policies[0]
    assert dict(policy.targets) == {"resolution": 172800.0}
    assert policy.targets.get("first_response") is None


# ---- every error: one line, naming where ------------------------------------------------------


def _set(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set doc[a][b]... along a dotted path (list indices as integers); `...` deletes."""
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node: Any = doc
    for part in parents:
        node = node[part]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return doc


CAL = "calendars.eu-office"
P0 = "policies.0"

ERRORS = [
    # top level
    (
        "polices",
        [],
        "unknown top-level key 'polices' (allowed: calendars, at_risk, policies, "
        "short_abandon, agents, max_agents, teams, max_teams, objectives, ola, staffing)",
    ),
    ("policies", ..., "missing 'policies'"),
    ("policies", {"name": "x"}, "'policies' must be a list of policies"),
    ("at_risk", 0, "at_risk must be a number between 0 and 1 (exclusive), like 0.8, not 0"),
    ("at_risk", 1, "at_risk must be a number between 0 and 1 (exclusive), like 0.8, not 1"),
    ("at_risk", 1.5, "at_risk must be a number between 0 and 1 (exclusive)"),
    ("at_risk", "80%", "at_risk must be a number between 0 and 1 (exclusive), like 0.8, not '80%'"),
    ("at_risk", True, "at_risk must be a number between 0 and 1 (exclusive), like 0.8, not True"),
    # calendars
    ("calendars", ["eu-office"], "'calendars' must be a mapping of calendar names to definitions"),
    (
        "calendars.always",
        {"timezone": "UTC", "hours": ["09:00", "17:00"]},
        "calendar 'always': is predefined (24x7) and cannot be redefined",
    ),
    (CAL, "Europe/Berlin", "calendar 'eu-office': must be a mapping with timezone, days, hours"),
    (
        f"{CAL}.tz",
        "UTC",
        "calendar 'eu-office': unknown key 'tz' (allowed: timezone, days, hours, holidays)",
    ),
    (f"{CAL}.timezone", ..., "calendar 'eu-office': missing 'timezone'"),
    (f"{CAL}.hours", ..., "calendar 'eu-office': missing 'hours'"),
    (f"{CAL}.timezone", "Europe/Berln", "calendar 'eu-office': unknown time zone 'Europe/Berln'"),
    (
        f"{CAL}.hours",
        ["18:00", "09:00"],
        "calendar 'eu-office': hours 18:00-09:00 end before they start",
    ),
    (
        f"{CAL}.hours",
        [["08:00", "13:00"], ["12:00", "18:00"]],
        "calendar 'eu-office': hours 08:00-13:00 and 12:00-18:00 overlap",
    ),
    (f"{CAL}.hours", ["09:00", 1080], "calendar 'eu-office': hours must be quoted times"),
    (f"{CAL}.days", ["mon", "funday"], "calendar 'eu-office': unknown day 'funday'"),
    (f"{CAL}.days", [], "calendar 'eu-office': no open days, so no open hours at all"),
    (
        f"{CAL}.holidays",
        ["2026-13-01"],
        "calendar 'eu-office': bad holiday '2026-13-01' (expected a date YYYY-MM-DD)",
    ),
    # policies
    ("policies.1", "default", "policies[1]: must be a mapping with name, match, calendar, targets"),
    (f"{P0}.name", ..., "policies[0]: missing 'name' (a non-empty string)"),
    (f"{P0}.name", "", "policies[0]: missing 'name' (a non-empty string)"),
    (f"{P0}.name", "default", "policy 'default': name used twice (policies[0] and policies[1])"),
    (f"{P0}.name", "none", "policy 'none': the name is reserved for tickets no policy matches"),
    (
        f"{P0}.targts",
        {},
        "policy 'vip-urgent': unknown key 'targts' "
        "(allowed: name, match, calendar, targets, warn_before)",
    ),
    (f"{P0}.match", "vip", "policy 'vip-urgent': match must be a mapping like {priority: urgent}"),
    (
        f"{P0}.match",
        {"tier": "vip"},
        "policy 'vip-urgent': unknown match key 'tier' (allowed: team, channel, "
        "priority, customer_tier, category)",
    ),
    (
        f"{P0}.match",
        {"team": 7},
        "policy 'vip-urgent': match team must be a non-empty string, not 7",
    ),
    (
        f"{P0}.match",
        {"priority": "urgnet"},
        "policy 'vip-urgent': match priority 'urgnet' is not one of urgent, high, normal, low",
    ),
    (
        f"{P0}.match",
        {"channel": "fax"},
        "policy 'vip-urgent': match channel 'fax' is not one of phone, chat, email, social, web",
    ),
    (
        f"{P0}.calendar",
        "eu-ofice",
        "policy 'vip-urgent': unknown calendar 'eu-ofice' (did you mean 'eu-office'?)",
    ),
    (f"{P0}.calendar", "weekend", "policy 'vip-urgent': unknown calendar 'weekend'"),
    (
        f"{P0}.calendar",
        ["always"],
        "policy 'vip-urgent': calendar must be a calendar name, not ['always']",
    ),
    (
        f"{P0}.targets",
        ["15m"],
        "policy 'vip-urgent': targets must be a mapping like {first_response: 1h}",
    ),
    (
        f"{P0}.targets",
        {"first_reply": "15m"},
        "policy 'vip-urgent': unknown target 'first_reply' (allowed: first_response, "
        "next_reply, resolution)",
    ),
    (
        f"{P0}.targets.resolution",
        "1.5h",
        "policy 'vip-urgent': target resolution: invalid duration '1.5h': not a whole "
        "number of hours (write 90m)",
    ),
    (
        f"{P0}.targets.first_response",
        15,
        "policy 'vip-urgent': target first_response: invalid duration 15: missing unit",
    ),
    (
        f"{P0}.targets.next_reply",
        "0m",
        "policy 'vip-urgent': target next_reply: invalid duration '0m': must be positive",
    ),
]


@pytest.mark.parametrize(("path", "value", "message"), ERRORS, ids=[e[2][:60] for e in ERRORS])
def test_every_document_error_is_one_line_naming_where(path: str, value: Any, message: str) -> None:
    doc = _set(base_doc(), path, value)
    with pytest.raises(PolicyError) as caught:
        parse_policy(doc)
    text = str(caught.value)
    assert text.startswith(message), text
    assert "\n" not in text


def test_unknown_calendar_default_names_the_policy() -> None:
    # The brief's example error, verbatim at the start.
    doc = _set(base_doc(), "policies.0.calendar", "eu-ofice")
    with pytest.raises(PolicyError, match=r"^policy 'vip-urgent': unknown calendar 'eu-ofice'"):
        parse_policy(doc)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (None, "the policy document is empty"),
        ([{"name": "x"}], "the policy document must be a mapping with 'policies'"),
        ("policies", "the policy document must be a mapping with 'policies'"),
    ],
)
def test_a_document_of_the_wrong_shape_is_one_line(doc: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=f"^{message}"):
        parse_policy(doc)
