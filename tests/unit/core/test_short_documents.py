"""A short document skips the shape walk only where the walk could find nothing."""

from __future__ import annotations

import orjson
import pytest

from streams.core.events import MAX_STRING_CHARS, Rejected, decode


def reason(raw: bytes | str) -> str:
    with pytest.raises(Rejected) as rejected:
        decode(raw)
    return rejected.value.reason


def test_a_short_document_nested_too_deep_is_still_rejected() -> None:
    raw = b'{"a":' + b"[" * 40 + b"]" * 40 + b"}"  # 86 bytes, 41 levels (the object is one)
    assert len(raw) <= MAX_STRING_CHARS
    assert reason(raw) == "too_deep"
    assert reason(raw.decode()) == "too_deep"


def test_a_document_of_32_levels_is_taken_and_33_is_too_deep() -> None:
    # the object is level 1: 31 nested lists make 32 levels, 32 lists make 33
    value = decode(b'{"a":' + b"[" * 31 + b"]" * 31 + b"}")["a"]
    levels = 1
    while value:
        value, levels = value[0], levels + 1
    assert levels == 31  # the innermost list is empty
    assert reason(b'{"a":' + b"[" * 32 + b"]" * 32 + b"}") == "too_deep"


def test_a_string_just_over_the_limit_is_found_in_a_document_just_over_it() -> None:
    raw = orjson.dumps({"type": "x" * (MAX_STRING_CHARS + 1)})  # 266 bytes: the walk runs
    assert reason(raw) == "invalid_value"
    raw = orjson.dumps({"t": "x" * (MAX_STRING_CHARS - 8)})  # 256 bytes, a 248-char string
    assert len(raw) == MAX_STRING_CHARS
    assert decode(raw) == {"t": "x" * (MAX_STRING_CHARS - 8)}
