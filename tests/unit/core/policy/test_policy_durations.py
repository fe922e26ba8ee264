"""The policy file's durations: a whole number and a unit (streams/core/policy/durations.py)."""

from __future__ import annotations

from typing import Any

import pytest

from streams.core.policy import PolicyError, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("45s", 45.0),
        ("15m", 900.0),  # 15 x 60
        ("4h", 14400.0),  # 4 x 3600
        ("3d", 259200.0),  # 3 x 86400 (d = 24 h of counted time)
        (" 2h ", 7200.0),
        ("+5m", 300.0),
        ("3650d", 315360000.0),  # the maximum, 3650 x 86400
    ],
)
def test_a_duration_is_a_whole_number_and_a_unit(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds
    assert isinstance(parse_duration(text), float)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.5h", "invalid duration '1.5h': not a whole number of hours (write 90m)"),
        ("1.0h", "invalid duration '1.0h': not a whole number of hours (write 1h)"),
        ("0.5s", "invalid duration '0.5s': not a whole number of seconds"),
        ("15", "invalid duration '15': missing unit (s, m, h or d)"),
        (15, "invalid duration 15: missing unit (write e.g. '15s' or '15m')"),
        ("-5m", "invalid duration '-5m': must be positive"),
        ("0m", "invalid duration '0m': must be positive"),
        ("15min", "invalid duration '15min': unknown unit 'min' (use s, m, h or d)"),
        ("2w", "invalid duration '2w': unknown unit 'w' (use s, m, h or d)"),
        ("15M", "invalid duration '15M': unknown unit 'M' (use s, m, h or d)"),
        ("15 m", "invalid duration '15 m': expected a whole number with a unit s, m, h or d"),
        ("1h30m", "invalid duration '1h30m': expected a whole number with a unit s, m, h or d"),
        ("", "invalid duration '': expected a whole number with a unit"),
        ("h", "invalid duration 'h': expected a whole number with a unit"),
        (None, "invalid duration None: expected a whole number with a unit"),
        ("3651d", "invalid duration '3651d': longer than the maximum of 3650d"),
    ],
)
def test_a_bad_duration_is_one_line_saying_why(text: Any, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_duration(text)
    assert str(caught.value).startswith(message)
