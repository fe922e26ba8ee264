"""Event intake: turn one raw event (bytes, str or dict) into a validated ``Event``.

Every way an event can be wrong maps to one stable ``reason`` (counted in
``servicepulse_events_rejected_total{reason}``):

==================  ==========================================================
``invalid_json``    not UTF-8 / not JSON
``not_an_object``   JSON, but not an object
``unknown_type``    ``type`` missing or not one of the contract's types
``missing_field``   a required field is absent (or null)
``wrong_type``      a field has the wrong JSON type (e.g. a number for a string)
``invalid_value``   a value outside its enumeration (channel, priority, ...)
``bad_timestamp``   ``ts`` not RFC 3339, without an offset, or outside 1970..2099
``out_of_range``    a score or duration outside its allowed range
``too_large``       the event is larger than 64 KiB
``too_deep``        JSON nested deeper than 32 levels
==================  ==========================================================

Limits (contract section 1; docs/limits.md): label-value strings (``team``,
``from_team``, ``to_team``, ``agent_id``) at most 64 printable characters,
``event_id`` and ``ticket_id`` at most 256 printable characters, any other
string at most 256 characters (``invalid_value`` otherwise), an event at
most 64 KiB (``too_large``) nested at most 32 levels (``too_deep``). A leading
UTF-8 byte-order mark is ignored.

The engine adds ``ticket_closed`` and ``invalid_state`` (see engine.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from streams.core import vocabulary

CHANNELS = frozenset(vocabulary.CHANNELS)
PRIORITIES = frozenset(vocabulary.PRIORITIES)
TIERS = frozenset(vocabulary.TIERS)
CATEGORIES = frozenset(vocabulary.CATEGORIES)
STATUSES = frozenset(vocabulary.STATUSES)
AGENT_STATUSES = frozenset(vocabulary.AGENT_STATUSES)
SURVEY_RANGES = vocabulary.SURVEY_RANGES

PARSE_REASONS = (
    "invalid_json",
    "not_an_object",
    "unknown_type",
    "missing_field",
    "wrong_type",
    "invalid_value",
    "bad_timestamp",
    "out_of_range",
    "too_large",
    "too_deep",
)

MAX_EVENT_BYTES = 64 * 1024
MAX_DEPTH = 32  # the event object itself is level 1
MAX_LABEL_CHARS = 64  # team, from_team, to_team, agent_id: they become label values
MAX_STRING_CHARS = 256  # any other string anywhere in the event
LABEL_FIELDS = frozenset(("team", "from_team", "to_team", "agent_id"))
ID_FIELDS = frozenset(("event_id", "ticket_id"))  # travel into alerts, URLs and logs: printable
TS_MIN = 0.0  # 1970-01-01T00:00:00Z
TS_MAX = 4_102_444_800.0  # 2100-01-01T00:00:00Z, excluded
_BOM = "\ufeff"
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})"
)


class Rejected(Exception):
    """An event that cannot be accepted; ``reason`` is the stable label value."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


class Event:
    """A validated event. ``data`` is the original object (type-specific fields live there)."""

    __slots__ = ("data", "event_id", "ticket_id", "ts", "type")

    def __init__(self, type_: str, event_id: str, ticket_id: str, ts: float, data: dict[str, Any]):
        self.type = type_
        self.event_id = event_id
        self.ticket_id = ticket_id
        self.ts = ts
        self.data = data

    def __repr__(self) -> str:
        return f"Event({self.type!r}, {self.ticket_id!r}, {self.event_id!r}, ts={self.ts})"


# ---- field checks: each returns None when fine, else raises Rejected ------------------------

Check = Callable[[str, Any], None]


def _string(name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise Rejected("wrong_type", f"{name} must be a string")
    if not value:
        raise Rejected("missing_field", f"{name} must not be empty")
    if name in LABEL_FIELDS:
        if len(value) > MAX_LABEL_CHARS or not value.isprintable():
            raise Rejected(
                "invalid_value", f"{name} must be at most {MAX_LABEL_CHARS} printable characters"
            )
    elif len(value) > MAX_STRING_CHARS:
        raise Rejected("invalid_value", f"{name} must be at most {MAX_STRING_CHARS} characters")
    elif name in ID_FIELDS and not value.isprintable():
        raise Rejected("invalid_value", f"{name} must be printable, without control characters")


def _enum(allowed: frozenset[str]) -> Check:
    def check(name: str, value: Any) -> None:
        if not isinstance(value, str):
            raise Rejected("wrong_type", f"{name} must be a string")
        if value not in allowed:
            raise Rejected("invalid_value", f"{name} {value!r} not one of {sorted(allowed)}")

    return check


def _boolean(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise Rejected("wrong_type", f"{name} must be true or false")


def _seconds(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected("wrong_type", f"{name} must be a number")
    if not 0 <= value < 1e9:
        raise Rejected("out_of_range", f"{name} must be >= 0")


def _qa_score(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected("wrong_type", f"{name} must be a number")
    if not 0 <= value <= 100:
        raise Rejected("out_of_range", f"{name} must be within 0-100")


REQUIRED, OPTIONAL = True, False

# type -> ((field, required, check), ...)
SCHEMA: dict[str, tuple[tuple[str, bool, Check], ...]] = {
    "ticket.created": (
        ("team", REQUIRED, _string),
        ("channel", REQUIRED, _enum(CHANNELS)),
        ("priority", REQUIRED, _enum(PRIORITIES)),
        ("customer_id", REQUIRED, _string),
        ("customer_tier", OPTIONAL, _enum(TIERS)),
        ("category", OPTIONAL, _enum(CATEGORIES)),
    ),
    "ticket.assigned": (("agent_id", REQUIRED, _string), ("team", OPTIONAL, _string)),
    "message.agent": (
        ("agent_id", REQUIRED, _string),
        ("public", OPTIONAL, _boolean),
        ("work_seconds", OPTIONAL, _seconds),
    ),
    "message.customer": (),
    "ticket.transferred": (("from_team", REQUIRED, _string), ("to_team", REQUIRED, _string)),
    "ticket.status": (("status", REQUIRED, _enum(STATUSES)),),
    "ticket.resolved": (("agent_id", OPTIONAL, _string), ("work_seconds", OPTIONAL, _seconds)),
    "ticket.reopened": (),
    "ticket.closed": (),
    "contact.abandoned": (),
    "survey.response": (("kind", REQUIRED, _enum(frozenset(SURVEY_RANGES))),),  # score: below
    "qa.review": (
        ("agent_id", REQUIRED, _string),
        ("score", REQUIRED, _qa_score),
        ("reviewer_id", OPTIONAL, _string),
    ),
    "ticket.updated": (  # at least one of them: checked in validate()
        ("priority", OPTIONAL, _enum(PRIORITIES)),
        ("customer_tier", OPTIONAL, _enum(TIERS)),
        ("category", OPTIONAL, _enum(CATEGORIES)),
        ("channel", OPTIONAL, _enum(CHANNELS)),
    ),
    "agent.status": (  # no ticket_id: an agent's presence (its Kafka key is the agent_id)
        ("agent_id", REQUIRED, _string),
        ("team", REQUIRED, _string),
        ("status", REQUIRED, _enum(AGENT_STATUSES)),
    ),
}
EVENT_TYPES = tuple(SCHEMA)
UPDATABLE = ("priority", "customer_tier", "category", "channel")  # what ticket.updated may change


def parse_ts(value: Any) -> float:
    """RFC 3339 timestamp with offset, 1970-01-01 to before 2100-01-01 -> POSIX seconds.

    Python's ``fromisoformat`` takes more than RFC 3339 (``2026-01-05T10+00:00``,
    ISO week dates): the shape is checked first. Fractions beyond microseconds are cut.
    """
    if not isinstance(value, str):
        raise Rejected("bad_timestamp", "ts must be an RFC 3339 string")
    if len(value) > 40 or _RFC3339.fullmatch(value) is None:
        raise Rejected("bad_timestamp", "ts is not an RFC 3339 timestamp with offset")
    if value[17:19] == "60":  # a leap second (23:59:60Z): POSIX time has none, it repeats :59
        value = f"{value[:17]}59{value[19:]}"
    try:
        try:
            ts = datetime.fromisoformat(value).timestamp()
        except ValueError:  # lower-case t/z, or more than 6 fraction digits
            ts = datetime.fromisoformat(_normalise(value)).timestamp()
    except (ValueError, OverflowError, OSError):
        raise Rejected("bad_timestamp", "ts is not a valid date and time") from None
    if not TS_MIN <= ts < TS_MAX:
        raise Rejected("bad_timestamp", "ts must be from 1970-01-01 to before 2100-01-01")
    return ts


def _normalise(value: str) -> str:
    text = value.upper()
    dot = text.find(".")
    if dot > 0:
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        text = text[: min(end, dot + 7)] + text[end:]
    return text


def _check_shape(data: dict[str, Any]) -> None:
    """Nesting depth and string sizes anywhere in the event (iterative: no recursion)."""
    stack: list[tuple[Any, int]] | None = None
    value: Any = data
    depth = 1
    while True:
        if isinstance(value, dict):
            try:
                too_long = max(map(len, value), default=0) > MAX_STRING_CHARS
            except TypeError:
                raise Rejected("wrong_type", "an object key must be a string") from None
            if too_long:
                raise Rejected("invalid_value", f"a key is longer than {MAX_STRING_CHARS}")
            items = value.values()
        else:
            items = value
        for item in items:
            kind = type(item)
            if kind is str:
                if len(item) > MAX_STRING_CHARS:
                    raise Rejected(
                        "invalid_value", f"a string is longer than {MAX_STRING_CHARS} characters"
                    )
            elif kind is dict or kind is list:
                if depth >= MAX_DEPTH:
                    raise Rejected("too_deep", f"JSON nested deeper than {MAX_DEPTH} levels")
                if stack is None:
                    stack = []
                stack.append((item, depth + 1))
        if not stack:
            return
        value, depth = stack.pop()


def _survey_score(data: dict[str, Any]) -> None:
    if "score" not in data or data["score"] is None:
        raise Rejected("missing_field", "score is required")
    score = data["score"]
    if isinstance(score, bool) or not isinstance(score, int):
        raise Rejected("wrong_type", "survey score must be an integer")
    low, high = SURVEY_RANGES[data["kind"]]
    if not low <= score <= high:
        raise Rejected("out_of_range", f"{data['kind']} score must be within {low}-{high}")


def decode(raw: bytes | str | dict[str, Any]) -> dict[str, Any]:
    """Bytes/str JSON -> dict (size, depth and string limits checked); a dict passes through."""
    if isinstance(raw, dict):
        data = raw
    else:
        if isinstance(raw, bytes | bytearray | memoryview):
            raw = bytes(raw)
            if raw[:3] == b"\xef\xbb\xbf":
                raw = raw[3:]
            size = len(raw)
            small = size <= MAX_STRING_CHARS and raw.count(b"{") + raw.count(b"[") <= MAX_DEPTH
        elif isinstance(raw, str):
            if raw[:1] == _BOM:
                raw = raw[1:]
            size = (
                len(raw) if len(raw) * 4 <= MAX_EVENT_BYTES else len(raw.encode(errors="replace"))
            )
            small = size <= MAX_STRING_CHARS and raw.count("{") + raw.count("[") <= MAX_DEPTH
        else:
            raise Rejected("invalid_json", "not a JSON document")
        if size > MAX_EVENT_BYTES:
            raise Rejected("too_large", f"an event is at most {MAX_EVENT_BYTES} bytes")
        try:
            loaded: Any = orjson.loads(raw)  # any JSON value: checked next
        except (orjson.JSONDecodeError, UnicodeDecodeError, TypeError):
            raise Rejected("invalid_json", "not a JSON document") from None
        if not isinstance(loaded, dict):
            raise Rejected("not_an_object", "an event must be a JSON object")
        data = loaded
        # No string of a document of at most MAX_STRING_CHARS characters is longer, and
        # nesting deeper than MAX_DEPTH needs more brackets: _check_shape would find nothing
        if small:
            return data
    _check_shape(data)
    return data


def validate(data: dict[str, Any]) -> Event:
    """Check a decoded object against the contract; raise ``Rejected`` on the first fault."""
    type_ = data.get("type")
    fields = SCHEMA.get(type_) if isinstance(type_, str) else None
    if fields is None:
        raise Rejected("unknown_type", f"unknown event type {type_!r}")
    for name in ("event_id", "ticket_id"):
        value = data.get(name)
        if value is None:
            if name == "ticket_id" and type_ == "agent.status":
                continue  # about an agent, not a ticket
            raise Rejected("missing_field", f"{name} is required")
        _string(name, value)
    if data.get("ts") is None:
        raise Rejected("missing_field", "ts is required")
    ts = parse_ts(data["ts"])
    for name, required, check in fields:
        value = data.get(name)
        if value is None:
            if required:
                raise Rejected("missing_field", f"{name} is required for {type_}")
            continue
        check(name, value)
    if type_ == "survey.response":
        _survey_score(data)
    elif type_ == "ticket.updated" and all(data.get(name) is None for name in UPDATABLE):
        raise Rejected("missing_field", f"ticket.updated needs one of {', '.join(UPDATABLE)}")
    event_id: str = data["event_id"]  # both checked above
    ticket_id: str = data.get("ticket_id") or ""  # "" for agent.status
    return Event(data["type"], event_id, ticket_id, ts, data)


def parse(raw: bytes | str | dict[str, Any]) -> Event:
    """Decode and validate one event."""
    return validate(decode(raw))
