"""The policy file's durations: a whole number and a unit, ``15m``, ``4h``, ``3d``.

``d`` is 24 hours of the calendar's counted time (the contract), so ``3d`` on a 9-hour
business day is 8 business days. Zero, negative, fractional (``1.5h``: the message
suggests ``90m``), unit-less (``15``) and unknown units (``15min``, ``2w``) are errors; so
is anything above 3650d. (The command line's durations are read elsewhere: these are the
file's, with its error messages.)
"""

from __future__ import annotations

import re

from streams.core.policy.model import PolicyError

MAX_DURATION = 3650 * 86400.0

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_UNIT_NAMES = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_DURATION_RE = re.compile(r"([+-]?)(\d*\.?\d*)([A-Za-z]*)")


def parse_duration(text: str) -> float:
    """``"15m"`` -> 900.0; ``"3d"`` -> 259200.0 (d = 24 h of counted time)."""
    bad = f"invalid duration {text!r}"
    if not isinstance(text, str):
        if isinstance(text, int | float) and not isinstance(text, bool):
            raise PolicyError(f"{bad}: missing unit (write e.g. '{text}s' or '{text}m')")
        raise PolicyError(f"{bad}: expected a whole number with a unit s, m, h or d, like '15m'")
    match = _DURATION_RE.fullmatch(text.strip())
    if match is None or match[2] in ("", "."):
        raise PolicyError(f"{bad}: expected a whole number with a unit s, m, h or d, like '15m'")
    sign, number, unit = match[1], match[2], match[3]
    if not unit:
        raise PolicyError(f"{bad}: missing unit (s, m, h or d)")
    if unit not in _UNITS:
        raise PolicyError(f"{bad}: unknown unit {unit!r} (use s, m, h or d)")
    if sign == "-" or float(number) == 0:
        raise PolicyError(f"{bad}: must be positive")
    if not number.isdigit():
        seconds = round(float(number) * _UNITS[unit], 6)
        better = next(
            (f"{round(seconds / _UNITS[u])}{u}" for u in "dhms" if seconds % _UNITS[u] == 0), None
        )
        tip = f" (write {better})" if better else ""
        raise PolicyError(f"{bad}: not a whole number of {_UNIT_NAMES[unit]}{tip}")
    seconds = float(int(number) * _UNITS[unit])
    if seconds > MAX_DURATION:
        raise PolicyError(f"{bad}: longer than the maximum of 3650d")
    return seconds
