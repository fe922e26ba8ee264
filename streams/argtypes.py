"""Option value types for argparse: each refuses a bad value with a one-line reason."""

from __future__ import annotations

from collections.abc import Callable


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("must be > 0")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise ValueError("must be >= 0")
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


def _choice(allowed: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(f"not one of {', '.join(allowed)}")
        return text

    return parse


def _duration(text: str) -> float:
    """Seconds, or an integer with unit s/m/h/d (``7d``)."""
    text = text.strip()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value = float(text[:-1]) * units[text[-1]] if text and text[-1] in units else float(text)
    if not value > 0:
        raise ValueError("must be > 0")
    return value


__all__ = [
    "_choice",
    "_duration",
    "_non_negative_float",
    "_positive_int",
    "non_negative_number",
    "port_number",
    "positive_number",
]
