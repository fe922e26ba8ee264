"""The intake's fast path accepts exactly what the complete check accepts, with the same values.

``validate`` tries ``_accept`` (no call per field, no regular expression) and falls back
to ``_validate``, the declarative check that gives every rejection reason; ``decode``
reads a short document without the general path's checks. These tests compare the fast
answers with the complete ones on valid events and on every kind of fault.
"""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest

from streams.core.events import (
    SCHEMA,
    Rejected,
    _accept,
    _fast_ts,
    _validate,
    decode,
    parse_ts,
    validate,
)

VALID: dict[str, dict[str, Any]] = {
    "ticket.created": {
        "team": "billing",
        "channel": "email",
        "priority": "high",
        "customer_id": "c1",
        "customer_tier": "vip",
        "category": "complaint",
    },
    "ticket.assigned": {"agent_id": "a1", "team": "sales"},
    "message.agent": {"agent_id": "a1", "public": False, "work_seconds": 12.5},
    "message.customer": {},
    "ticket.transferred": {"from_team": "billing", "to_team": "sales"},
    "ticket.status": {"status": "pending"},
    "ticket.resolved": {"agent_id": "a1", "work_seconds": 3},
    "ticket.reopened": {},
    "ticket.closed": {},
    "contact.abandoned": {},
    "survey.response": {"kind": "csat", "score": 4},
    "qa.review": {"agent_id": "a1", "score": 87.5, "reviewer_id": "r1"},
    "ticket.updated": {"priority": "low"},
    "agent.status": {"agent_id": "a1", "team": "billing", "status": "available"},
}
ODD_VALUES: tuple[Any, ...] = (
    None,
    "",
    " ",
    "x" * 64,
    "x" * 65,
    "y" * 256,
    "y" * 257,
    "tab\there",
    "é",
    True,
    False,
    0,
    -1,
    1e9,
    float("nan"),
    100,
    100.5,
    [],
    {},
    "email",
    "pending",
    "2026-11-18T10:00:00Z",
)


def outcome(check: Any, data: dict[str, Any]) -> Any:
    """What a check makes of ``data``: the event's fields, or the rejection reason."""
    try:
        event = check(data)
    except Rejected as rejected:
        return rejected.reason
    return (event.type, event.event_id, event.ticket_id, event.ts, event.data is data)


def base(type_: str) -> dict[str, Any]:
    return {
        "type": type_,
        "event_id": "e-1",
        "ticket_id": "T-1",
        "ts": "2026-11-18T10:00:00.250+01:00",
        **VALID[type_],
    }


def test_every_type_has_a_valid_example() -> None:
    assert set(VALID) == set(SCHEMA)
    for type_ in SCHEMA:
        assert outcome(_validate, base(type_))[0] == type_


@pytest.mark.parametrize("type_", sorted(SCHEMA))
def test_the_fast_path_agrees_with_the_complete_check_on_every_field_fault(type_: str) -> None:
    names = {"type", "event_id", "ticket_id", "ts", "score", *(f[0] for f in SCHEMA[type_])}
    for name in sorted(names):
        for value in ODD_VALUES:
            data = base(type_)
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
            complete = outcome(_validate, data)
            fast = _accept(data)
            if fast is not None:  # it accepts only what the complete check accepts ...
                assert complete == (fast.type, fast.event_id, fast.ticket_id, fast.ts, True)
            assert outcome(validate, data) == complete  # ... and validate's answer is the same


def test_the_fast_path_takes_the_usual_events_itself() -> None:
    for type_ in ("ticket.created", "ticket.assigned", "message.agent", "ticket.resolved"):
        event = _accept(base(type_))
        assert event is not None
        # 2026-11-18T09:00:00.25Z: 11:06:40Z is 1,795,000,000 (bench/engine.py START), 7,600 s later
        assert event.ts == 1_795_000_000 - 7_600 + 0.25


def timestamps(count: int) -> list[str]:
    """Random timestamps, valid and not: dates, hours, leap seconds, fractions, offsets."""
    pick = random.Random(26)
    offsets = ("Z", "+00:00", "-00:00", "+05:30", "-11:45", "+23:59", "+24:00", "z", "+14:00")
    out = []
    for _ in range(count):
        year = pick.choice((1969, 1970, 2000, 2024, 2099, 2100, pick.randint(1970, 2099)))
        month, day = pick.randint(0, 13), pick.randint(0, 32)
        hour, minute = pick.randint(0, 24), pick.randint(0, 60)
        second = pick.choice((0, 59, 60, pick.randint(0, 59)))
        digits = pick.randint(0, 9)
        fraction = "." + "".join(pick.choice("0123456789") for _ in range(digits)) if digits else ""
        separator = pick.choice("TTTt ")
        out.append(
            f"{year:04d}-{month:02d}-{day:02d}{separator}{hour:02d}:{minute:02d}:{second:02d}"
            f"{fraction}{pick.choice(offsets)}"
        )
    return out


EDGES = (
    "1970-01-01T00:00:00Z",
    "1970-01-01T00:30:00+01:00",  # before 1970 in UTC
    "1970-01-01T00:45:00+00:30",  # its hour starts before 1970, itself after
    "2099-12-31T23:59:59.999999Z",
    "2100-01-01T00:00:00Z",
    "2099-12-31T23:30:00-01:00",  # 2100 in UTC
    "2016-12-31T23:59:60Z",  # leap second
    "2024-02-29T12:00:00Z",
    "2023-02-29T12:00:00Z",
    "2026-11-18T10:00:00.1234567+00:00",
    "2026-11-18T10:00:00.5Z",
    "2026-11-18T10:00:00.000001-05:00",
    "２０２６-11-18T10:00:00Z",  # non-ASCII digits
    "2026-11-18T10:00:00+0000",
)


def test_a_fast_timestamp_is_exactly_parse_ts_and_only_what_it_accepts() -> None:
    taken = 0
    for value in (*EDGES, *timestamps(20_000)):
        try:
            complete: float | None = parse_ts(value)
        except Rejected:
            complete = None
        fast = _fast_ts(value)
        if fast >= 0.0:
            taken += 1
            assert fast == complete, value
    assert taken > 2_000  # the usual shapes are read by the fast path (2,622 of these)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1}',
        b"\xef\xbb\xbf" + b'{"a":1}',
        b"[1,2]",
        b'"text"',
        b"{",
        b"\xff\xfe",
        b"",
        b"[" * 40 + b"]" * 40,
        b'{"a":' * 33 + b"1" + b"}" * 33,
        b'{"a":' * 20 + b"1" + b"}" * 20,
        orjson.dumps({"k": "v" * 300}),
        orjson.dumps({"k" * 300: 1}),
    ],
)
def test_decoding_a_short_document_gives_what_the_general_path_gives(raw: bytes) -> None:
    def general(text: str) -> Any:  # the same document as a str takes the general path
        try:
            return decode(text)
        except Rejected as rejected:
            return rejected.reason

    try:
        fast: Any = decode(raw)
    except Rejected as rejected:
        fast = rejected.reason
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        assert fast == "invalid_json"
        return
    assert fast == general(text)
