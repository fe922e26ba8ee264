"""Request bodies of ``POST /v1/events``: one event, a JSON array, or JSONL.

A body that cannot be read as any of them is a ``BadBody`` (400, one line);
an element that is not a valid event is only that element's rejection.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from streams.core.events import MAX_EVENT_BYTES, Event, Rejected, decode, validate

JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")


_JSONL = object()  # the body was read as JSONL


class BadBody(ValueError):
    """400: the body is not what the path expects; str() is the one-line reason."""


class Record(NamedTuple):
    """One element to store: Kafka key (the ticket id), the JSON line, the decoded value,
    and the intake's verdict: the validated event, or the rejection reason."""

    key: str | None
    line: bytes
    data: Any
    event: Event | None
    reason: str | None


def _element(value: Any, line: bytes | None = None) -> Record:
    if line is None:
        line = orjson.dumps(value)
    if not isinstance(value, dict):
        return Record(None, line, value, None, "not_an_object")
    key = value.get("ticket_id")
    key = key if isinstance(key, str) and key else None
    if len(line) > MAX_EVENT_BYTES:  # the intake's limits, as replay of the journal applies them
        return Record(key, line, value, None, "too_large")
    try:
        return Record(key, line, value, validate(decode(value)), None)
    except Rejected as rejected:
        return Record(key, line, value, None, rejected.reason)


def _lines(body: bytes) -> list[Record]:
    """JSONL: one element a line; a line that is not JSON is that element's rejection."""
    records = []
    for raw in body.split(b"\n"):
        raw = raw.strip()
        if not raw:
            continue
        try:
            records.append(_element(orjson.loads(raw), raw))
        except orjson.JSONDecodeError:
            records.append(Record(None, raw, raw, None, "invalid_json"))
    if records and all(record.reason == "invalid_json" for record in records):
        raise BadBody("body is not JSON or JSONL")
    return records


def parse_events(body: bytes, content_type: str) -> list[Record]:
    """The elements of an events body, in order; BadBody when there are none to read."""
    body = body.strip()
    if not body:
        raise BadBody("empty body")
    if content_type in JSONL_TYPES:
        records = _lines(body)
    else:
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            if b"\n" not in body:
                raise BadBody(f"body is not JSON ({str(exc).splitlines()[0]})") from None
            value = _JSONL
            records = _lines(body)  # JSONL sent without its content type
        if isinstance(value, list):
            records = [_element(item) for item in value]
        elif isinstance(value, dict):
            records = [_element(value)]  # re-serialised: one line, whatever its layout
        elif value is not _JSONL:
            raise BadBody("body must be an event object, an array of events or JSONL")
    if not records:
        raise BadBody("no events in the body")
    return records


def rejections(records: list[Record]) -> list[dict[str, Any]]:
    """``[{"index": i, "reason": r}, ...]`` for the elements that are not contract events."""
    return [
        {"index": index, "reason": record.reason}
        for index, record in enumerate(records)
        if record.reason is not None
    ]


def parse_webhook(body: bytes) -> Any:
    if not body.strip():
        raise BadBody("empty body")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadBody(f"body is not JSON ({str(exc).splitlines()[0]})") from None


def records_of(events: list[dict[str, Any]]) -> list[Record]:
    return [_element(event) for event in events]
