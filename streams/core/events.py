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
from typing import Any, Final

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

MAX_EVENT_BYTES: Final = 64 * 1024
MAX_DEPTH: Final = 32  # the event object itself is level 1
MAX_LABEL_CHARS: Final = 64  # team, from_team, to_team, agent_id: they become label values
MAX_STRING_CHARS: Final = 256  # any other string anywhere in the event
LABEL_FIELDS: Final = frozenset(("team", "from_team", "to_team", "agent_id"))
# event_id, ticket_id travel into alerts, URLs and logs: printable
ID_FIELDS: Final = frozenset(("event_id", "ticket_id"))
TS_MIN: Final = 0.0  # 1970-01-01T00:00:00Z
TS_MAX: Final = 4_102_444_800.0  # 2100-01-01T00:00:00Z, excluded
_BOM: Final = "\ufeff"
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_RFC3339: Final = re.compile(
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

    _ENUMS[check] = allowed
    return check


_ENUMS: dict[Check, frozenset[str]] = {}  # each _enum check's allowed values (see _ACCEPT)


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
    if (  # most events: short, few brackets, no BOM
        type(raw) is bytes
        and len(raw) <= MAX_STRING_CHARS
        and raw.count(b"{") + raw.count(b"[") <= MAX_DEPTH
        and not raw.startswith(_UTF8_BOM)
    ):
        try:
            loaded: Any = orjson.loads(raw)
        except (orjson.JSONDecodeError, UnicodeDecodeError, TypeError):
            raise Rejected("invalid_json", "not a JSON document") from None
        if type(loaded) is dict:
            return loaded  # no string is longer, nor nesting deeper: nothing to check
        # else: the general path below gives the reason
    if isinstance(raw, dict):
        data = raw
    else:
        if isinstance(raw, bytes | bytearray | memoryview):
            raw = bytes(raw)
            if raw[:3] == _UTF8_BOM:
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
            loaded = orjson.loads(raw)  # any JSON value: checked next
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
    event = _accept(data)
    return event if event is not None else _validate(data)


# ---- the fast path: accepts what _validate accepts, or answers None -------------------------
# Most events are well-formed; _accept checks them with no call per field and no regular
# expression. It never rejects: anything it is not sure of (a fault, an unusual timestamp,
# a type with a check of its own) goes to _validate, the declarative check above, which
# gives the reason. The tests of every reason therefore test _validate's answers, and
# tests/unit/core/test_fast_intake.py that _accept accepts exactly the same events.

_STRING: Final = 0
_LABEL: Final = 1
_ENUM: Final = 2
_BOOLEAN: Final = 3
_SECONDS: Final = 4
_QA_SCORE: Final = 5
FastCheck = tuple[str, bool, int, frozenset[str]]
_NOTHING: Final[frozenset[str]] = frozenset()


def _fast_check(name: str, required: bool, check: Check) -> FastCheck:
    if check is _string:
        return (name, required, _LABEL if name in LABEL_FIELDS else _STRING, _NOTHING)
    if check is _boolean:
        return (name, required, _BOOLEAN, _NOTHING)
    if check is _seconds:
        return (name, required, _SECONDS, _NOTHING)
    if check is _qa_score:
        return (name, required, _QA_SCORE, _NOTHING)
    return (name, required, _ENUM, _ENUMS[check])  # KeyError: a new check needs a kind here


# types whose validation is only their fields' checks (survey.response and ticket.updated
# have one more, agent.status may lack a ticket_id: _validate takes them)
_ACCEPT: Final[dict[str, tuple[FastCheck, ...]]] = {
    type_: tuple(_fast_check(*field) for field in fields)
    for type_, fields in SCHEMA.items()
    if type_ not in ("survey.response", "ticket.updated", "agent.status")
}
# RFC 3339 shapes (digits as 0) that datetime.fromisoformat reads as _validate does
_ZEROS: Final = bytes.maketrans(b"123456789", b"000000000")
_TS_SHAPES: Final = frozenset(
    f"0000-00-00T00:00:00{fraction}{offset}".encode()
    for fraction in ("", ".0", ".00", ".000", ".0000", ".00000", ".000000")
    for offset in ("Z", "+00:00", "-00:00")
)


def _accept(data: dict[str, Any]) -> Event | None:
    """The validated event, or None when ``_validate`` must judge it."""
    type_ = data.get("type")
    if type(type_) is not str:
        return None
    fields = _ACCEPT.get(type_)
    if fields is None:
        return None
    event_id = data.get("event_id")
    if type(event_id) is not str or not 0 < len(event_id) <= MAX_STRING_CHARS:
        return None
    ticket_id = data.get("ticket_id")
    if type(ticket_id) is not str or not 0 < len(ticket_id) <= MAX_STRING_CHARS:
        return None
    if not (event_id.isprintable() and ticket_id.isprintable()):
        return None
    ts = _fast_ts(data.get("ts"))
    if ts < 0.0:
        return None
    for name, required, kind, allowed in fields:
        value = data.get(name)
        if value is None:
            if required:
                return None
        elif kind == _ENUM:
            if type(value) is not str or value not in allowed:
                return None
        elif kind == _LABEL:
            if type(value) is not str or not 0 < len(value) <= MAX_LABEL_CHARS:
                return None
            if not value.isprintable():
                return None
        elif kind == _STRING:
            if type(value) is not str or not 0 < len(value) <= MAX_STRING_CHARS:
                return None
        elif kind == _BOOLEAN:
            if type(value) is not bool:
                return None
        else:  # _SECONDS, _QA_SCORE: a number (not a bool) in range
            if type(value) is not int and type(value) is not float:
                return None
            if not (0 <= value < 1e9 if kind == _SECONDS else 0 <= value <= 100):
                return None
    return Event(type_, event_id, ticket_id, ts, data)


def _fast_ts(value: Any) -> float:
    """``parse_ts`` of a plain RFC 3339 timestamp; -1.0 when parse_ts must judge it.

    The hour (date, hour and offset) is read by ``datetime`` once and kept; minutes,
    seconds and fraction are added in whole microseconds, then divided by 10**6 as
    ``datetime.timestamp()`` does: the same float (tests/unit/core/test_fast_intake.py).
    """
    if type(value) is not str or not value.isascii():
        return -1.0
    raw = value.encode()
    if raw.translate(_ZEROS) not in _TS_SHAPES:
        return -1.0  # not one of the usual shapes
    size = len(raw)
    offset = 1 if raw[size - 1] == 90 else 6  # "Z" or "+hh:mm"
    hour = raw[:13] + raw[size - offset :]
    start = _HOURS.get(hour)
    if start is None:
        start = _hour_start(value[:13], value[size - offset :])
        if len(_HOURS) >= _MAX_HOURS:
            _HOURS.clear()
        _HOURS[hour] = start
    minutes = (raw[14] - 48) * 10 + raw[15] - 48
    seconds = (raw[17] - 48) * 10 + raw[18] - 48
    if start < 0 or minutes > 59 or seconds > 59:  # before 1970, not a date; a leap second
        return -1.0
    micros = 0
    digits = size - offset - 20  # of the fraction
    if digits > 0:
        micros = int(raw[20 : 20 + digits]) * _SCALE[digits]
    ts = ((start + minutes * 60 + seconds) * 1_000_000 + micros) / 1_000_000
    return ts if ts < TS_MAX else -1.0


_HOURS: Final[dict[bytes, int]] = {}  # b"2026-11-18T11+01:00" -> POSIX seconds of 11:00+01:00
_MAX_HOURS: Final = 4096
_SCALE: Final = (1, 100_000, 10_000, 1_000, 100, 10, 1)  # fraction digits -> microseconds


def _hour_start(hour: str, offset: str) -> int:
    """POSIX seconds of the hour's start, -1 when not a valid hour from 1970 on."""
    try:
        start = datetime.fromisoformat(f"{hour}:00:00{offset}").timestamp()
    except (ValueError, OverflowError, OSError):
        return -1
    return int(start) if start >= 0 else -1


def _validate(data: dict[str, Any]) -> Event:
    """The complete check, in the contract's order: the first fault's reason."""
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
