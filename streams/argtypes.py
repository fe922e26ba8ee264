"""Value parsers for the command line and the ``SERVICEPULSE_*`` variables.

Each refuses a bad value with a one-line reason. argparse shows the reason of an
``ArgumentTypeError`` (of a ``ValueError`` only the parser's name), so the parsers whose
grammar needs explaining raise that.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("must be > 0")
    return value


def positive_number(text: str) -> float:
    """A finite number above 0 (``inf`` and ``nan`` are refused: a speed of inf never ends)."""
    value = float(text)
    if not 0 < value < float("inf"):
        raise ValueError("must be a finite number > 0")
    return value


def non_negative_number(text: str) -> float:
    """A finite number, 0 or more."""
    value = float(text)
    if not 0 <= value < float("inf"):
        raise ValueError("must be a finite number >= 0")
    return value


def port_number(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError("not a port number")
    return value


def choice(allowed: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(f"not one of {', '.join(allowed)}")
        return text

    return parse


# ---- durations --------------------------------------------------------------------------
# The one grammar of a duration on the command line: a number (decimals allowed) with an
# optional unit s, m, h or d; a plain number is seconds. The policy file has a stricter
# grammar of its own (whole numbers, a unit always: streams.core.policy.parse_duration).

UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"([+-]?)(\d+(?:\.\d*)?|\.\d+)\s*([smhd]?)")
DURATION_GRAMMAR = "seconds, or a number with unit s, m, h or d (e.g. 90, 30m, 1.5h, 7d)"


def signed_duration(text: str) -> float:
    """Seconds of a duration that may be negative (``-3h``: three hours before)."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: {DURATION_GRAMMAR}")
    sign, number, unit = match.groups()
    seconds = float(number) * UNITS[unit or "s"]
    return -seconds if sign == "-" else seconds


def non_negative_duration(text: str) -> float:
    """Seconds of a duration, 0 or more."""
    seconds = signed_duration(text)
    if seconds < 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: must not be negative")
    return seconds


def duration(text: str) -> float:
    """Seconds of a duration above 0."""
    seconds = signed_duration(text)
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: must be more than 0")
    return seconds


# ---- options no longer used -------------------------------------------------------------


def retired_option(parser: argparse.ArgumentParser, flag: str, notice: str) -> None:
    """Accept ``flag`` (with a value) from old command lines, print a one-line notice, ignore it.

    Hidden from ``--help``: nobody should start using it.
    """

    class Retired(argparse.Action):
        def __call__(
            self,
            parser: argparse.ArgumentParser,
            namespace: argparse.Namespace,
            values: str | Sequence[Any] | None,
            option_string: str | None = None,
        ) -> None:
            print(f"{parser.prog}: {flag} is ignored: {notice}", file=sys.stderr)

    parser.add_argument(flag, action=Retired, help=argparse.SUPPRESS, default=argparse.SUPPRESS)
