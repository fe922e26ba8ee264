from __future__ import annotations

import json

import orjson
import pytest

from streams.ingest_http.bodies import BadBody, parse_events, rejections

EVENT = {"event_id": "e1", "type": "ticket.reopened", "ticket_id": "t1",
         "ts": "2026-11-24T06:00:00+00:00"}  # fmt: skip


def test_one_object_an_array_and_jsonl_give_the_same_records() -> None:
    one = parse_events(json.dumps(EVENT, indent=2).encode(), "application/json")
    many = parse_events(json.dumps([EVENT, EVENT]).encode(), "application/json")
    lines = parse_events(((json.dumps(EVENT) + "\n") * 2).encode(), "application/x-ndjson")
    assert [r.line for r in one] == [json.dumps(EVENT, separators=(",", ":")).encode()]
    assert len(many) == 2 and len(lines) == 2
    assert {r.key for r in one + many + lines} == {"t1"}
    assert all(r.event is not None and r.reason is None for r in one + many + lines)


def test_jsonl_without_its_content_type_is_recognised() -> None:
    body = (json.dumps(EVENT) + "\n" + json.dumps(EVENT)).encode()
    assert len(parse_events(body, "application/json")) == 2


def test_bad_elements_are_rejected_by_index_not_the_body() -> None:
    body = (json.dumps(EVENT) + "\n{oops\n" + json.dumps({**EVENT, "ts": "yesterday"})).encode()
    records = parse_events(body, "application/x-ndjson")
    assert rejections(records) == [
        {"index": 1, "reason": "invalid_json"},
        {"index": 2, "reason": "bad_timestamp"},
    ]


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"", "empty"), (b"  \n ", "empty"), (b"{x", "not JSON"), (b"42", "an event object"),
     (b"[]", "no events"), (b"{x\n{y", "not JSON")],
)  # fmt: skip
def test_bodies_that_are_no_events_are_one_line_400s(body: bytes, reason: str) -> None:
    with pytest.raises(BadBody, match=reason):
        parse_events(body, "application/json")


def _event(**extra: object) -> dict:
    return {
        "event_id": "e1",
        "type": "message.customer",
        "ticket_id": "t1",
        "ts": "2026-11-23T09:00:00Z",
        **extra,
    }


def test_the_intakes_limits_hold_for_http_as_for_the_journals_replay() -> None:
    deep: object = "x"
    for _ in range(40):
        deep = [deep]
    body = orjson.dumps([_event(note="y" * 5000), _event(nested=deep), _event(pad="z" * 250)])
    # 5,000 characters > 256; 40 levels > 32; the third is fine
    assert [r.reason for r in parse_events(body, "application/json")] == [
        "invalid_value",
        "too_deep",
        None,
    ]


def test_an_event_over_64_kib_is_too_large_over_http() -> None:
    big = _event(parts=["p" * 200] * 400)  # 400 strings of 200: about 81 KiB, each string legal
    assert [r.reason for r in parse_events(orjson.dumps(big), "application/json")] == ["too_large"]
