"""Each intake limit at its exact edge: the limit itself is taken, one more is refused.

The limits (docs/ingestion.md): an event is at most 64 KiB = 65,536 bytes of UTF-8
(counted in bytes however it arrives), a label value at most 64 printable characters,
any other string or key at most 256, at most 32 levels of nesting, a timestamp at most
9 fraction digits and within 1970-2099, work_seconds below 10^9, a QA score 0-100.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from streams.core.events import MAX_EVENT_BYTES, Rejected, parse

TS = "2026-11-23T09:00:00Z"
CREATED = {
    "event_id": "e",
    "ticket_id": "t",
    "ts": TS,
    "type": "ticket.created",
    "team": "billing",
    "channel": "chat",
    "priority": "low",
    "customer_id": "c",
}
SMILE = "\U0001f600"  # 4 bytes in UTF-8, 1 character


def reason(raw: Any) -> str | None:
    try:
        parse(raw)
    except Rejected as rejected:
        return rejected.reason
    return None


def of_bytes(size: int) -> bytes:
    """The created event, padded with ASCII notes (each at most 256 characters) to ``size``
    bytes exactly."""
    notes: dict[str, str] = {}
    while True:
        body = orjson.dumps({**CREATED, **notes})
        missing = size - len(body)
        if missing == 0:
            return body
        key = f"n{len(notes)}"
        # a new note costs len(',"nK":""') bytes before its text; the last one takes the rest
        overhead = len(key) + 6
        if missing <= overhead + 256:
            notes[key] = "x" * (missing - overhead)
        else:
            notes[key] = "x" * 256


def test_the_size_limit_is_64_kib() -> None:
    assert MAX_EVENT_BYTES == 65_536


def test_an_event_of_exactly_64_kib_is_taken_and_one_byte_more_is_too_large() -> None:
    exact, over = of_bytes(65_536), of_bytes(65_537)
    assert (len(exact), len(over)) == (65_536, 65_537)
    assert reason(exact) is None
    assert reason(over) == "too_large"


def test_text_is_measured_in_utf8_bytes_not_characters() -> None:
    # 100 notes of 200 four-byte characters: 20,000 characters but 80,000 bytes and more
    notes = {f"n{i}": SMILE * 200 for i in range(100)}
    text = orjson.dumps({**CREATED, **notes}).decode()
    assert len(text) < 65_536 < len(text.encode())
    assert reason(text) == "too_large"
    # the same characters within 64 KiB of UTF-8: 60 notes, 48,000 bytes of them
    fits = orjson.dumps({**CREATED, **{f"n{i}": SMILE * 200 for i in range(60)}}).decode()
    assert len(fits.encode()) < 65_536
    assert reason(fits) is None


def test_text_of_exactly_64_kib_of_utf8_is_taken() -> None:
    exact = of_bytes(65_536).decode()
    # swap 400 ASCII x for 100 four-byte characters: the same bytes, 300 characters fewer
    swapped = exact.replace("x" * 200, SMILE * 50, 2)
    assert len(swapped.encode()) == 65_536 and len(swapped) == 65_536 - 300
    assert reason(swapped) is None
    assert reason(of_bytes(65_537).decode()) == "too_large"


def nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"x": value}
    return value


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"team": "t" * 64}, None),
        ({"team": "t" * 65}, "invalid_value"),
        ({"customer_id": "c" * 256}, None),
        ({"customer_id": "c" * 257}, "invalid_value"),
        ({"extra": {"note": "s" * 256}}, None),
        ({"extra": {"note": "s" * 257}}, "invalid_value"),
        ({"extra": ["s" * 257]}, "invalid_value"),
        ({"extra": {"k" * 256: 1}}, None),
        ({"extra": {"k" * 257: 1}}, "invalid_value"),
        ({"extra": nested(31)}, None),  # the event is level 1: 32 levels in all
        ({"extra": nested(32)}, "too_deep"),  # 33 levels
        # at most 9 fraction digits (nanoseconds, cut to microseconds)
        ({"ts": "2026-11-23T09:00:00.123456789+00:00"}, None),
        ({"ts": "2026-11-23T09:00:00.1234567891+00:00"}, "bad_timestamp"),
        ({"ts": "2099-12-31T23:59:59Z"}, None),
        ({"ts": "2100-01-01T00:00:00Z"}, "bad_timestamp"),
        ({"ts": "1970-01-01T00:00:00Z"}, None),
        ({"ts": "1969-12-31T23:59:59Z"}, "bad_timestamp"),
    ],
)
def test_each_limit_takes_its_edge_and_refuses_one_more(
    fields: dict[str, Any], expected: str | None
) -> None:
    assert reason({**CREATED, **fields}) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(999_999_999, None), (1_000_000_000, "out_of_range"), (0, None), (-1, "out_of_range")],
)
def test_work_seconds_run_from_0_to_below_a_billion(seconds: int, expected: str | None) -> None:
    reply = {**CREATED, "type": "message.agent", "agent_id": "a", "work_seconds": seconds}
    for key in ("team", "channel", "priority", "customer_id"):
        del reply[key]
    assert reason(reply) == expected


@pytest.mark.parametrize(
    ("score", "expected"),
    [(100, None), (100.01, "out_of_range"), (0, None), (-0.01, "out_of_range")],
)
def test_a_qa_score_runs_from_0_to_100_inclusive(score: float, expected: str | None) -> None:
    review = {"event_id": "e", "ticket_id": "t", "ts": TS, "type": "qa.review", "agent_id": "a"}
    assert reason({**review, "score": score}) == expected
