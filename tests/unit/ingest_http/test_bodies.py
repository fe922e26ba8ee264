from __future__ import annotations

import json

import orjson
import pytest

from streams.core.events import Rejected, decode
from streams.ingest_http.bodies import (
    MAX_EVENTS,
    MAX_VALUES,
    BadBody,
    TooLarge,
    answer,
    count_values,
    parse_events,
    rejections,
)

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
    assert rejections(records) == (
        [{"index": 1, "reason": "invalid_json"}, {"index": 2, "reason": "bad_timestamp"}],
        2,
    )


def test_a_jsonl_index_is_the_line_number_counting_blank_lines() -> None:
    # lines 0 and 2 are blank, line 5 is spaces: the rejected lines are 3 and 6, from 0
    good = json.dumps(EVENT)
    body = f"\n{good}\n\n{{oops\n{good}\n   \n42\n".encode()
    records = parse_events(body, "application/x-ndjson")
    assert [r.position for r in records] == [1, 3, 4, 6]
    assert rejections(records)[0] == [
        {"index": 3, "reason": "invalid_json"},
        {"index": 6, "reason": "not_an_object"},
    ]
    # the same body sent as JSON is read as JSONL with the same numbers
    assert rejections(parse_events(body, "application/json")) == rejections(records)


def test_an_array_index_is_the_elements_position() -> None:
    records = parse_events(json.dumps([EVENT, 1, EVENT, "x"]).encode(), "application/json")
    assert rejections(records) == (
        [{"index": 1, "reason": "not_an_object"}, {"index": 3, "reason": "not_an_object"}],
        2,
    )


def test_more_than_10000_elements_is_too_large_however_small_they_are() -> None:
    assert MAX_EVENTS == 10_000
    assert len(parse_events(b"[" + b",".join([b"0"] * MAX_EVENTS) + b"]", "")) == MAX_EVENTS
    with pytest.raises(TooLarge, match="10001 events in the body, at most 10000"):
        parse_events(b"[" + b",".join([b"0"] * (MAX_EVENTS + 1)) + b"]", "application/json")
    lines = b"\n".join([b"0"] * (MAX_EVENTS + 1))
    with pytest.raises(TooLarge, match="more than 10000 lines"):
        parse_events(lines, "application/x-ndjson")


def test_a_body_of_too_many_json_values_is_refused_before_it_is_parsed() -> None:
    # 700,000 empty objects: 2.1 MB of body, about 50 MB once parsed
    body = b"[" + b",".join([b"{}"] * 700_000) + b"]"
    assert count_values(body) == 1_400_001  # "[", "{" and "," each start or follow a value
    with pytest.raises(TooLarge, match=f"more than {MAX_VALUES} JSON values"):
        parse_events(body, "application/json")
    # commas, colons and brackets inside strings are not values
    quoted = orjson.dumps([_event(note=",:[{" * 60) for _ in range(3000)])
    structural = sum(quoted.count(c) for c in (b",", b":", b"[", b"{"))
    # per event "{", 5 ":", 4 "," within and 1 between; the array's "[" and the top value
    assert count_values(quoted) == 3000 * 11 - 1 + 2 < MAX_VALUES < structural
    assert len(parse_events(quoted, "application/json")) == 3000


def test_a_jsonl_line_over_64_kib_is_too_large_without_being_parsed() -> None:
    huge = b"[" + b",".join([b"1"] * 40_000) + b"]"  # 80 KB: a list of 40,000 numbers
    records = parse_events(huge + b"\n" + json.dumps(EVENT).encode(), "application/x-ndjson")
    assert [(r.reason, r.data is r.line) for r in records] == [("too_large", True), (None, False)]


def test_the_answer_lists_the_first_100_rejections_and_counts_them_all() -> None:
    records = parse_events(b"[" + b",".join([b"0"] * 2500) + b"]", "application/json")
    body = answer(records)
    assert body["accepted"] == 0 and body["rejected_total"] == 2500
    assert body["rejected"] == [{"index": i, "reason": "not_an_object"} for i in range(100)]
    assert len(orjson.dumps(body)) < 5000
    assert answer(parse_events(json.dumps([EVENT, 1]).encode(), "")) == {
        "accepted": 1,
        "rejected": [{"index": 1, "reason": "not_an_object"}],
    }


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def test_tiny_elements_cost_their_size_not_a_4_kib_buffer_each() -> None:
    body = b"[" + b",".join([b"0"] * MAX_EVENTS) + b"]"
    parse_events(body, "")  # warm up allocator arenas
    before = rss_bytes()
    records = parse_events(body, "")
    grown = rss_bytes() - before
    # orjson.dumps' bytes kept their 4 KiB buffer: 10,000 elements took 40 MB
    assert len(records) == MAX_EVENTS and grown < 4 * 1024 * 1024, grown


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"", "empty"), (b"  \n ", "empty"), (b"{x", "not JSON"), (b"42", "an event object"),
     (b"{x\n", "not JSON"),
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


def test_an_agent_status_is_keyed_by_its_agent() -> None:
    status = {"event_id": "s1", "type": "agent.status", "agent_id": "a7", "team": "billing",
              "status": "available", "ts": "2026-11-23T09:00:00Z"}  # fmt: skip
    (record,) = parse_events(orjson.dumps(status), "application/json")
    assert (record.key, record.reason) == ("a7", None)


@pytest.mark.parametrize("levels", [300, 1000])
def test_an_element_nested_deeper_than_orjson_writes_is_too_deep_and_replays_so(
    levels: int,
) -> None:
    """orjson reads 1,024 levels but writes 254: such an element was a 500 with a traceback.
    Its journal line must give the same verdict when the journal is replayed."""
    nested = b'{"a":' * levels + b'{"type":"ticket.created"}' + b"}" * levels
    for body in (b"[" + nested + b"]", nested):
        (record,) = parse_events(body, "application/json")
        assert (record.event, record.reason) == (None, "too_deep")
        with pytest.raises(Rejected) as replayed:
            decode(record.line)
        assert replayed.value.reason == "too_deep"
    deep_list = b"[" * levels + b"]" * levels
    (record,) = parse_events(b"[" + deep_list + b"]", "application/json")
    assert record.reason == "not_an_object"
