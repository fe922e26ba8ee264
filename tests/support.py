"""Test helpers: a recording fact sink and an event builder."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime
from typing import Any, Protocol

from streams.core.engine import Engine
from streams.core.policy import PolicySet, parse_policy
from streams.export.exporter import Exporter


class RecordingSink:
    """Collects the engine's facts: counters summed, observations listed."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, tuple[str, ...]]] = Counter()
        self.observations: list[tuple[str, tuple[str, ...], float]] = []
        self.labels: list[tuple[tuple[str, ...], tuple[str, ...]]] = []  # (labels, targets)

    def inc(self, metric: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        self.counts[(metric, labels)] += amount

    def observe(self, metric: str, labels: tuple[str, ...], value: float) -> None:
        self.observations.append((metric, labels, value))

    def labelled(self, labels: tuple[str, ...], targets: tuple[str, ...]) -> None:
        self.labels.append((labels, targets))

    def count(self, metric: str, labels: tuple[str, ...] | None = None) -> float:
        """One series, or the sum over all series of ``metric`` when labels is None."""
        if labels is not None:
            return self.counts[(metric, labels)]
        return sum(n for (name, _), n in self.counts.items() if name == metric)

    def observed(self, metric: str) -> list[tuple[tuple[str, ...], float]]:
        return [(labels, value) for name, labels, value in self.observations if name == metric]

    def outcomes(self) -> Counter[tuple[str, str]]:
        """(target, outcome) -> count, over every team/priority/tier."""
        result: Counter[tuple[str, str]] = Counter()
        for (name, labels), n in self.counts.items():
            if name == "sla_outcomes" and n:
                result[(labels[-2], labels[-1])] += int(n)
        return result


_ids = itertools.count(1)


def at(text: str) -> float:
    """'2026-11-23 09:00' (UTC) -> POSIX seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def event(type_: str, ticket: str, when: str | float, **fields: Any) -> dict[str, Any]:
    """A contract event; ``when`` is '2026-11-23 09:00' UTC or POSIX seconds."""
    ts = at(when) if isinstance(when, str) else when
    return {
        "event_id": fields.pop("event_id", f"ev-{next(_ids)}"),
        "type": type_,
        "ticket_id": ticket,
        "ts": iso(ts),
        **fields,
    }


def created(ticket: str, when: str | float, **fields: Any) -> dict[str, Any]:
    base = {"team": "billing", "channel": "email", "priority": "normal", "customer_id": "c1"}
    base.update(fields)
    return event("ticket.created", ticket, when, **base)


def reply(ticket: str, when: str | float, **fields: Any) -> dict[str, Any]:
    return event("message.agent", ticket, when, agent_id=fields.pop("agent_id", "a1"), **fields)


def run_events(
    policy: dict[str, Any], events: tuple[dict[str, Any], ...], until: str | None = None
) -> tuple[Engine, RecordingSink]:
    """Ingest events in order on the event clock (each must be accepted), then run to `until`."""
    sink = RecordingSink()
    engine = Engine(parse_policy(policy), sink)
    for raw in events:
        assert engine.ingest(raw, event_clock=True).reason is None, raw
    if until is not None:
        engine.advance(at(until))
    return engine, sink


def one_policy(
    targets: dict[str, str] | None = None,
    *,
    document: dict[str, Any] | None = None,
    calendar: str = "always",
) -> PolicySet:
    """A parsed policy set: ``document`` whole, or one policy matching every ticket on
    ``calendar`` with ``targets`` (``first_response="15m"``; none given: first response 1h)."""
    if document is None:
        policy = {
            "name": "default",
            "match": {},
            "calendar": calendar,
            "targets": targets or {"first_response": "1h"},
        }
        document = {"policies": [policy]}
    return parse_policy(document)


class PolicyFactory(Protocol):
    """The ``policy_factory`` fixture: :func:`one_policy`."""

    def __call__(
        self, *, document: dict[str, Any] | None = None, calendar: str = "always", **targets: str
    ) -> PolicySet: ...


class EngineFactory(Protocol):
    """The ``engine_factory`` fixture: an engine on :func:`one_policy` and its exporter."""

    def __call__(
        self, *, policies: PolicySet | None = None, sink: Any = None, **targets: str
    ) -> tuple[Engine, Exporter]: ...
