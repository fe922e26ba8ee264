"""Short abandons: a contact abandoned after waiting less than ``short_abandon`` (default 10s).

They are counted in contacts_abandoned_total too (the contract's meaning is unchanged);
"less than" is strict, so a contact abandoned after exactly 10 s is not a short abandon.
"""

from __future__ import annotations

from typing import Any

import pytest

from streams.core.engine import Engine
from streams.core.policy import PolicyError, parse_policy
from tests.support import RecordingSink, at, created, event, reply

START = at("2026-11-23 09:00")
WAITS = (0.0, 9.0, 9.999, 10.0, 10.001, 11.0, 45.0)  # seconds from created to abandoned


def abandons(waits: tuple[float, ...], channel: str = "phone", **policy: Any) -> RecordingSink:
    doc = {"policies": [{"name": "all", "targets": {"first_response": "1m"}}], **policy}
    engine = Engine(parse_policy(doc), sink := RecordingSink())
    for i, wait in enumerate(waits):
        ticket = f"{channel}-{i}"
        assert engine.ingest(created(ticket, START, channel=channel)).reason is None
        assert engine.ingest(event("contact.abandoned", ticket, START + wait)).reason is None
    return sink


def test_default_threshold_counts_waits_below_ten_seconds() -> None:
    sink = abandons(WAITS)
    assert sink.count("contacts_abandoned", ("billing", "phone")) == 7
    assert sink.count("contacts_abandoned_short", ("billing", "phone")) == 3  # 0, 9, 9.999


def test_the_policy_file_sets_the_threshold() -> None:
    sink = abandons(WAITS, channel="chat", short_abandon="11s")
    assert sink.count("contacts_abandoned_short", ("billing", "chat")) == 5  # up to 10.001
    assert sink.count("contacts_abandoned", ("billing", "chat")) == 7
    sink = abandons(WAITS, short_abandon="1m")
    assert sink.count("contacts_abandoned_short", ("billing", "phone")) == 7


def test_zero_seconds_counts_no_abandon_as_short() -> None:
    sink = abandons(WAITS, short_abandon="0s")
    assert sink.count("contacts_abandoned_short") == 0
    assert sink.count("contacts_abandoned") == 7


def test_an_abandon_after_a_response_is_rejected_and_not_counted_short() -> None:
    engine = Engine(parse_policy({"policies": []}), sink := RecordingSink())
    engine.ingest(created("t", START, channel="phone"))
    engine.ingest(reply("t", START + 2))
    assert engine.ingest(event("contact.abandoned", "t", START + 3)).reason == "invalid_state"
    assert sink.count("contacts_abandoned") == sink.count("contacts_abandoned_short") == 0


def test_the_abandonment_rate_inputs_by_hand() -> None:
    # 10 phone contacts: 3 abandoned (after 4 s, 25 s and 70 s), 7 answered.
    # Contract rate 3/10; without the one short abandon: (3 - 1) / (10 - 1) = 2/9.
    engine = Engine(parse_policy({"policies": []}), sink := RecordingSink())
    for i in range(10):
        engine.ingest(created(f"p{i}", START, channel="phone"))
    for i, wait in enumerate((4, 25, 70)):
        engine.ingest(event("contact.abandoned", f"p{i}", START + wait))
    for i in range(3, 10):
        engine.ingest(reply(f"p{i}", START + 15))
    created_n = sink.count("tickets_created")
    abandoned = sink.count("contacts_abandoned", ("billing", "phone"))
    short = sink.count("contacts_abandoned_short", ("billing", "phone"))
    assert (created_n, abandoned, short) == (10, 3, 1)
    assert (abandoned - short) / (created_n - short) == pytest.approx(2 / 9)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("10", "short_abandon: invalid duration '10': missing unit"),
        (10, "short_abandon: invalid duration 10: missing unit"),
        ("-5s", "short_abandon: invalid duration '-5s': must be positive"),
        ("1.5s", "short_abandon: invalid duration '1.5s': not a whole number"),
    ],
)
def test_a_bad_short_abandon_is_a_one_line_error(value: Any, message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy({"policies": [], "short_abandon": value})
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)
