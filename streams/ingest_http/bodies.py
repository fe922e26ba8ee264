"""Request bodies of ``POST /v1/events``: one event, a JSON array, or JSONL.

A body that cannot be read as any of them is a ``BadBody`` (400, one line), one
beyond the limits below a ``TooLarge`` (413, one line); an element that is not a
valid event is only that element's rejection.

Limits (docs/limits.md, "HTTP"), so that the memory a body costs is bounded
whatever it holds:

* ``MAX_EVENTS`` elements: array elements, or lines of a JSONL body (blank
  lines included; they are numbered);
* ``MAX_VALUES`` JSON values, counted on the bytes *before* parsing: an 8 MiB
  array of ``{}`` is 2.8 million dicts (about 200 MB) once parsed;
* a JSONL line over ``MAX_EVENT_BYTES`` is ``too_large`` without being parsed;
* the answer lists the first ``MAX_REJECTIONS_SHOWN`` rejections and their count.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import orjson

from streams.core.events import MAX_DEPTH, MAX_EVENT_BYTES, Event, Rejected, decode, validate

JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")

MAX_EVENTS = 10_000  # elements of one body
MAX_VALUES = 64 * MAX_EVENTS  # JSON values of one body (an event has about 10 to 25)
MAX_REJECTIONS_SHOWN = 100  # rejections listed in an answer; the rest are only counted

# a complete JSON string on one line (JSON strings cannot hold a raw newline)
_STRING = re.compile(rb'"[^"\\\n]*(?:\\.[^"\\\n]*)*"')


class BadBody(ValueError):
    """400: the body is not what the path expects; str() is the one-line reason."""


class TooLarge(BadBody):
    """413: the body is beyond a limit of its size or number of elements."""


class Record(NamedTuple):
    """One element to store: Kafka key (the ticket id), the JSON line, the decoded value,
    the intake's verdict (the validated event, or the rejection reason), and the element's
    index in its body (array position, or line number of a JSONL body, from 0)."""

    key: str | None
    line: bytes
    data: Any
    event: Event | None
    reason: str | None
    position: int = 0


def _encode(value: Any) -> bytes:
    # orjson.dumps returns its bytes in a buffer of at least 4 KiB that is never shrunk:
    # kept as it is, each tiny element of a body held 4 KiB (1 MiB of "[0,0,...]" took
    # 2 GB). A copy of the exact size is kept instead; the buffer is freed at once.
    return bytes(memoryview(orjson.dumps(value)))


def _cut(value: Any, levels: int) -> Any:
    """``value`` with what is nested below ``levels`` levels replaced by null."""
    if isinstance(value, dict | list) and levels <= 0:
        return None
    if isinstance(value, dict):
        return {key: _cut(item, levels - 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_cut(item, levels - 1) for item in value]
    return value


def _element(value: Any, index: int, line: bytes | None = None) -> Record:
    if line is None:
        try:
            line = _encode(value)
        except orjson.JSONEncodeError:
            # nested deeper than orjson writes (254 levels; it reads 1,024): kept as its
            # first levels, whose line the journal's replay rejects for the same reason
            value = _cut(value, MAX_DEPTH + 1)
            line = _encode(value)
    if not isinstance(value, dict):
        return Record(None, line, value, None, "not_an_object", index)
    # the Kafka key: the ticket's id, or the agent's for agent.status (contract section 1)
    key = value.get("agent_id" if value.get("type") == "agent.status" else "ticket_id")
    key = key if isinstance(key, str) and key else None
    if len(line) > MAX_EVENT_BYTES:  # the intake's limits, as replay of the journal applies them
        return Record(key, line, value, None, "too_large", index)
    try:
        return Record(key, line, value, validate(decode(value)), None, index)
    except Rejected as rejected:
        return Record(key, line, value, None, rejected.reason, index)


def count_values(body: bytes) -> int:
    """An upper bound of the JSON values in ``body`` (of all its lines, if JSONL).

    Every value but the first of a document follows a ``[`` (first element), a
    ``,`` (next element or member) or a ``:`` (member value); counted outside
    strings. Up to the first error a JSON parser reads a body exactly as this
    scan does, so the bound holds for what it allocates, valid body or not."""
    raw = sum(body.count(c) for c in (b",", b":", b"[", b"{")) + body.count(b"\n") + 1
    if raw <= MAX_VALUES:
        return raw  # strings can only add to the count: no need to skip them
    bare = _STRING.sub(b"", body)
    return sum(bare.count(c) for c in (b",", b":", b"[", b"{")) + bare.count(b"\n") + 1


def _lines(body: bytes) -> list[Record]:
    """JSONL: one element a line, indexed by its line number (from 0, blank lines counted);
    a line that is not JSON is that element's rejection."""
    lines = body.rstrip().split(b"\n")
    if len(lines) > MAX_EVENTS:
        raise TooLarge(f"more than {MAX_EVENTS} lines in the body; send them in several requests")
    records = []
    for number, raw in enumerate(lines):
        raw = raw.strip()
        if not raw:
            continue
        if len(raw) > MAX_EVENT_BYTES:  # not even parsed
            records.append(Record(None, raw, raw, None, "too_large", number))
            continue
        try:
            records.append(_element(orjson.loads(raw), number, raw))
        except orjson.JSONDecodeError:
            records.append(Record(None, raw, raw, None, "invalid_json", number))
    if records and all(record.reason == "invalid_json" for record in records):
        raise BadBody("body is not JSON or JSONL")
    return records


def parse_events(body: bytes, content_type: str) -> list[Record]:
    """The elements of an events body, in order; BadBody when there are none to read,
    TooLarge when there are too many."""
    if not body.strip():
        raise BadBody("empty body")
    if count_values(body) > MAX_VALUES:
        raise TooLarge(
            f"more than {MAX_VALUES} JSON values in the body (at most {MAX_EVENTS} events); "
            "send them in several requests"
        )
    if content_type in JSONL_TYPES:
        records = _lines(body)
    else:
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            if b"\n" not in body.strip():
                raise BadBody(f"body is not JSON ({str(exc).splitlines()[0]})") from None
            records = _lines(body)  # JSONL sent without its content type
        else:
            if isinstance(value, list):
                if len(value) > MAX_EVENTS:
                    raise TooLarge(
                        f"{len(value)} events in the body, at most {MAX_EVENTS}; "
                        "send them in several requests"
                    )
                records = [_element(item, index) for index, item in enumerate(value)]
            elif isinstance(value, dict):
                records = [_element(value, 0)]  # re-serialised: one line, whatever its layout
            else:
                raise BadBody("body must be an event object, an array of events or JSONL")
    if not records:
        raise BadBody("no events in the body")
    return records


def rejections(
    records: list[Record], shown: int = MAX_REJECTIONS_SHOWN
) -> tuple[list[dict[str, Any]], int]:
    """The first ``shown`` of ``[{"index": i, "reason": r}, ...]`` for the elements that
    are not contract events, and how many there are in all."""
    listed: list[dict[str, Any]] = []
    total = 0
    for record in records:
        if record.reason is not None:
            total += 1
            if len(listed) < shown:
                listed.append({"index": record.position, "reason": record.reason})
    return listed, total


def answer(records: list[Record]) -> dict[str, Any]:
    """The ``200`` answer: ``{"accepted": n, "rejected": [...]}``, plus ``"rejected_total"``
    when there were more rejections than the list shows."""
    listed, total = rejections(records)
    body: dict[str, Any] = {"accepted": len(records) - total, "rejected": listed}
    if total > len(listed):
        body["rejected_total"] = total
    return body


def parse_webhook(body: bytes) -> Any:
    if not body.strip():
        raise BadBody("empty body")
    if count_values(body) > MAX_VALUES:
        raise TooLarge(f"more than {MAX_VALUES} JSON values in the body")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadBody(f"body is not JSON ({str(exc).splitlines()[0]})") from None


def records_of(events: list[dict[str, Any]]) -> list[Record]:
    return [_element(event, index) for index, event in enumerate(events)]
