"""The SLA policy file: durations, selection, the default set, and every error message."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from streams.core.calendar import ALWAYS, Calendar
from streams.core.policy import (
    DEFAULT_POLICY_SET,
    DEFAULT_POLICY_YAML,
    NO_POLICY,
    Policy,
    PolicyError,
    PolicySet,
    load_policy_file,
    parse_duration,
    parse_policy,
)

CONTRACT_EXAMPLE = """\
calendars:                      # optional; "always" (24x7) exists by default
  eu-office:
    timezone: Europe/Berlin
    days: [mon, tue, wed, thu, fri]
    hours: ["09:00", "18:00"]
    holidays: ["2026-12-25", "2026-12-26"]
at_risk: 0.8                    # optional (default 0.8)
policies:                       # first match wins
  - name: vip-urgent
    match: {customer_tier: vip, priority: urgent}
    calendar: always
    targets: {first_response: 15m, next_reply: 30m, resolution: 4h}
  - name: default
    match: {}
    calendar: eu-office
    targets: {first_response: 4h, next_reply: 8h, resolution: 3d}
"""


def base_doc() -> dict[str, Any]:
    """The contract's example as a loaded document (a fresh copy each time)."""
    return copy.deepcopy(
        {
            "calendars": {
                "eu-office": {
                    "timezone": "Europe/Berlin",
                    "days": ["mon", "tue", "wed", "thu", "fri"],
                    "hours": ["09:00", "18:00"],
                    "holidays": ["2026-12-25", "2026-12-26"],
                }
            },
            "at_risk": 0.8,
            "policies": [
                {
                    "name": "vip-urgent",
                    "match": {"customer_tier": "vip", "priority": "urgent"},
                    "calendar": "always",
                    "targets": {"first_response": "15m", "next_reply": "30m", "resolution": "4h"},
                },
                {
                    "name": "default",
                    "match": {},
                    "calendar": "eu-office",
                    "targets": {"first_response": "4h", "next_reply": "8h", "resolution": "3d"},
                },
            ],
        }
    )


def ticket(**fields: str) -> dict[str, str]:
    base = {"team": "billing", "channel": "email", "priority": "normal"}
    base.update(fields)
    return base


# ---- durations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("45s", 45.0),
        ("15m", 900.0),  # 15 x 60
        ("4h", 14400.0),  # 4 x 3600
        ("3d", 259200.0),  # 3 x 86400 (d = 24 h of counted time)
        (" 2h ", 7200.0),
        ("+5m", 300.0),
        ("3650d", 315360000.0),  # the maximum, 3650 x 86400
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds
    assert isinstance(parse_duration(text), float)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.5h", "invalid duration '1.5h': not a whole number of hours (write 90m)"),
        ("1.0h", "invalid duration '1.0h': not a whole number of hours (write 1h)"),
        ("0.5s", "invalid duration '0.5s': not a whole number of seconds"),
        ("15", "invalid duration '15': missing unit (s, m, h or d)"),
        (15, "invalid duration 15: missing unit (write e.g. '15s' or '15m')"),
        ("-5m", "invalid duration '-5m': must be positive"),
        ("0m", "invalid duration '0m': must be positive"),
        ("15min", "invalid duration '15min': unknown unit 'min' (use s, m, h or d)"),
        ("2w", "invalid duration '2w': unknown unit 'w' (use s, m, h or d)"),
        ("15M", "invalid duration '15M': unknown unit 'M' (use s, m, h or d)"),
        ("15 m", "invalid duration '15 m': expected a whole number with a unit s, m, h or d"),
        ("1h30m", "invalid duration '1h30m': expected a whole number with a unit s, m, h or d"),
        ("", "invalid duration '': expected a whole number with a unit"),
        ("h", "invalid duration 'h': expected a whole number with a unit"),
        (None, "invalid duration None: expected a whole number with a unit"),
        ("3651d", "invalid duration '3651d': longer than the maximum of 3650d"),
    ],
)
def test_parse_duration_errors(text: Any, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_duration(text)
    assert str(caught.value).startswith(message)


# ---- the contract's example -------------------------------------------------------------------


def test_contract_example_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(CONTRACT_EXAMPLE, encoding="utf-8")
    policies = load_policy_file(path)
    assert policies == parse_policy(base_doc())
    assert policies.at_risk == 0.8
    assert [p.name for p in policies.policies] == ["vip-urgent", "default"]
    vip, default = policies.policies
    assert vip.calendar is ALWAYS
    assert dict(vip.targets) == {"first_response": 900, "next_reply": 1800, "resolution": 14400}
    assert dict(vip.match) == {"customer_tier": "vip", "priority": "urgent"}
    office = policies.calendars["eu-office"]
    assert default.calendar is office
    assert office.timezone == "Europe/Berlin"
    assert dict(default.targets) == {
        "first_response": 4 * 3600,
        "next_reply": 8 * 3600,
        "resolution": 3 * 86400,
    }
    assert set(policies.calendars) == {"always", "eu-office"}


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


def test_optional_parts_default() -> None:
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


# ---- selection --------------------------------------------------------------------------------


def test_first_match_wins() -> None:
    policies = parse_policy(base_doc())
    assert policies.select(ticket(customer_tier="vip", priority="urgent")).name == "vip-urgent"
    assert policies.select(ticket(customer_tier="vip", priority="high")).name == "default"
    assert policies.select(ticket(customer_tier="standard", priority="urgent")).name == "default"
    # Reversed order: the catch-all now shadows vip-urgent.
    doc = base_doc()
    doc["policies"].reverse()
    assert parse_policy(doc).select(ticket(customer_tier="vip", priority="urgent")).name == (
        "default"
    )


def test_every_match_key_must_equal() -> None:
    doc = {
        "policies": [
            {"name": "billing-chat", "match": {"team": "billing", "channel": "chat"}},
            {"name": "billing", "match": {"team": "billing"}},
            {"name": "complaints", "match": {"category": "complaint"}},
        ]
    }
    policies = parse_policy(doc)
    assert policies.select(ticket(team="billing", channel="chat")).name == "billing-chat"
    assert policies.select(ticket(team="billing", channel="phone")).name == "billing"
    assert policies.select(ticket(team="sales", category="complaint")).name == "complaints"
    assert policies.select(ticket(team="sales", category="inquiry")) is NO_POLICY
    # The memo must distinguish every key a policy matches on: ask again in another order.
    assert policies.select(ticket(team="billing", channel="phone")).name == "billing"
    assert policies.select(ticket(team="billing", channel="chat")).name == "billing-chat"


def test_missing_optional_fields_match_the_contract_defaults() -> None:
    match = {"customer_tier": "standard", "category": "inquiry"}
    doc = {"policies": [{"name": "standard-inquiry", "match": match}]}
    policies = parse_policy(doc)
    assert policies.select({"team": "a", "channel": "web", "priority": "low"}).name == (
        "standard-inquiry"
    )
    assert policies.select(ticket(customer_tier=None)).name == "standard-inquiry"  # type: ignore[arg-type]
    assert policies.select(ticket(customer_tier="vip")) is NO_POLICY
    # The same with a single match key (memoised on a bare value rather than a tuple).
    single = parse_policy({"policies": [{"name": "std", "match": {"customer_tier": "standard"}}]})
    assert single.select(ticket()).name == "std"
    assert single.select(ticket(customer_tier="standard")).name == "std"
    assert single.select(ticket(customer_tier="vip")) is NO_POLICY
    assert single.select(ticket()).name == "std"


def test_select_memo_is_bounded() -> None:
    policies = parse_policy({"policies": [{"name": "t1", "match": {"team": "t1"}}]})
    for i in range(10_000):
        expected = "t1" if i == 1 else "none"
        assert policies.select(ticket(team=f"t{i}")).name == expected
    assert len(policies._cache) <= 4096


def test_no_match_gives_the_builtin_none_policy() -> None:
    policies = parse_policy({"policies": [{"name": "vip", "match": {"customer_tier": "vip"}}]})
    chosen = policies.select(ticket())
    assert chosen is NO_POLICY
    assert chosen.name == "none"
    assert chosen.calendar is ALWAYS
    assert dict(chosen.targets) == {}
    assert parse_policy({"policies": []}).select(ticket()) is NO_POLICY


def test_select_accepts_extra_fields_and_is_stable() -> None:
    policies = DEFAULT_POLICY_SET
    fields = ticket(priority="urgent", customer_id="c1", extra="x")
    assert policies.select(fields) is policies.select(dict(fields))


def test_named() -> None:
    assert DEFAULT_POLICY_SET.named("urgent") is DEFAULT_POLICY_SET.policies[1]
    assert DEFAULT_POLICY_SET.named("none") is NO_POLICY
    assert DEFAULT_POLICY_SET.named("nope") is None


# ---- the built-in default ---------------------------------------------------------------------


def test_default_policy_set() -> None:
    d = DEFAULT_POLICY_SET
    assert d.at_risk == 0.8
    assert [p.name for p in d.policies] == ["vip-urgent", "urgent", "default"]
    vip, urgent, default = d.policies
    assert vip.calendar is ALWAYS and urgent.calendar is ALWAYS
    # 15m/30m/4h, 1h/2h/8h, 4h/8h/3d in seconds.
    assert dict(vip.targets) == {"first_response": 900, "next_reply": 1800, "resolution": 14400}
    assert dict(urgent.targets) == {"first_response": 3600, "next_reply": 7200, "resolution": 28800}
    assert dict(default.targets) == {
        "first_response": 14400,
        "next_reply": 28800,
        "resolution": 259200,
    }
    office = default.calendar
    assert (office.name, office.timezone) == ("business-hours", "UTC")
    assert office.days == frozenset(range(5)) and office.windows == ((9 * 3600, 18 * 3600),)
    assert d.select(ticket(customer_tier="vip", priority="urgent")) is vip
    assert d.select(ticket(priority="urgent")) is urgent
    assert d.select(ticket(customer_tier="vip", priority="high")) is default
    assert d.select(ticket(priority="low")) is default
    assert "business-hours" in DEFAULT_POLICY_YAML


# ---- the model is immutable and checks itself -------------------------------------------------


def test_policies_are_read_only() -> None:
    policy = DEFAULT_POLICY_SET.policies[0]
    with pytest.raises(TypeError):
        policy.targets["resolution"] = 1.0  # type: ignore[index]
    with pytest.raises(AttributeError):
        policy.name = "x"  # type: ignore[misc]
    assert hash(policy) == hash(DEFAULT_POLICY_SET.policies[0])


def test_model_constructors_validate() -> None:
    with pytest.raises(PolicyError, match="policy 'p': unknown target 'first_reply'"):
        Policy("p", {}, ALWAYS, {"first_reply": 60.0})
    with pytest.raises(PolicyError, match="policy 'p': unknown match key 'tier'"):
        Policy("p", {"tier": "vip"}, ALWAYS, {})
    p = Policy("p", {}, ALWAYS, {})
    with pytest.raises(PolicyError, match="policy 'p': the name is used twice or reserved"):
        PolicySet((p, p))
    with pytest.raises(PolicyError, match="at_risk must be a number between 0 and 1"):
        PolicySet((p,), at_risk=1.0)
    assert PolicySet((p,)).calendars["always"] is ALWAYS


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
def test_document_errors(path: str, value: Any, message: str) -> None:
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
def test_document_shape_errors(doc: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=f"^{message}"):
        parse_policy(doc)


# ---- files ------------------------------------------------------------------------------------


def _file_error(path: Path) -> str:
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    text = str(caught.value)
    assert "\n" not in text
    return text


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    assert _file_error(path) == f"{path}: policy file not found"


def test_directory(tmp_path: Path) -> None:
    assert _file_error(tmp_path) == f"{tmp_path}: is a directory, not a policy file"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"policies: []\n# \xff\xfe\n")
    assert _file_error(path) == f"{path}: not a UTF-8 text file"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("# nothing here\n", encoding="utf-8")
    assert _file_error(path) == f"{path}: the policy file is empty"


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


def test_document_error_in_a_file_is_prefixed_with_the_path(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(CONTRACT_EXAMPLE.replace("calendar: eu-office", "calendar: eu-ofice"), "utf-8")
    assert _file_error(path) == (
        f"{path}: policy 'default': unknown calendar 'eu-ofice' (did you mean 'eu-office'?)"
    )


def test_loaded_calendar_is_a_working_calendar(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(CONTRACT_EXAMPLE, encoding="utf-8")
    office = load_policy_file(path).calendars["eu-office"]
    assert isinstance(office, Calendar)
    # Thu 2026-12-24 17:00 CET (16:00Z) + 2 h -> Mon 12-28 10:00 CET (09:00Z), over the holidays.
    assert office.add(1798128000.0, 7200) == 1798448400.0
