"""What the engine hands its adapters: the intake's answer, the fact sink, the reject hook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from streams.core.events import PARSE_REASONS, Event


class Intake(NamedTuple):
    """What the intake made of one raw event."""

    event: Event | None  # None: it did not decode or validate
    reason: str | None  # the rejection reason; None when applied, held or a duplicate


class FactSink(Protocol):
    """Where the engine reports facts; metric names are those of ``streams.export.catalogue``."""

    def inc(self, metric: str, labels: tuple[str, ...], amount: float = 1.0) -> None: ...

    def observe(self, metric: str, labels: tuple[str, ...], value: float) -> None: ...

    def labelled(self, labels: tuple[str, ...], targets: tuple[str, ...]) -> None: ...


RejectHook = Callable[[Any, str], None]  # (the raw event as given, reason)
STATE_REASONS = ("ticket_closed", "invalid_state", "no_ticket", "engine_error")
REJECT_REASONS = (*PARSE_REASONS, *STATE_REASONS)  # every value of the `reason` label

__all__ = ["REJECT_REASONS", "STATE_REASONS", "FactSink", "Intake", "RejectHook"]
