"""The policy file on disk and the built-in default: the contract's example loads, a bad
file is one line naming the path (streams/core/policy/load.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.core.calendar import ALWAYS, Calendar
from streams.core.policy import (
    DEFAULT_POLICY_SET,
    DEFAULT_POLICY_YAML,
    PolicyError,
    load_policy_file,
    parse_policy,
)
from tests.unit.core.policy.example import CONTRACT_EXAMPLE, base_doc, ticket


def test_the_contract_example_file_loads(tmp_path: Path) -> None:
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


# ---- the built-in default ---------------------------------------------------------------------


def test_the_built_in_policy_set_is_the_documented_one() -> None:
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


# ---- files ------------------------------------------------------------------------------------


def _file_error(path: Path) -> str:
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    text = str(caught.value)
    assert "\n" not in text
    return text


def test_a_missing_file_is_one_line_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    assert _file_error(path) == f"{path}: policy file not found"


def test_a_directory_is_not_a_policy_file(tmp_path: Path) -> None:
    assert _file_error(tmp_path) == f"{tmp_path}: is a directory, not a policy file"


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"policies: []\n# \xff\xfe\n")
    assert _file_error(path) == f"{path}: not a UTF-8 text file"


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("# nothing here\n", encoding="utf-8")
    assert _file_error(path) == f"{path}: the policy file is empty"


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
