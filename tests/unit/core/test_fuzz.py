"""Property-based fuzzing of the intake and engine with mutated simulator streams.

Mutations: type swaps, truncation, byte flips, huge and deep values, odd
timestamps, repeats, removed fields. Invariants after every event batch:
no exception escapes; processed + rejected + duplicates + held = lines; no
counter decreases; no gauge is negative; the exposition parses with
prometheus_client's parser.
"""

from __future__ import annotations

import itertools
from functools import cache
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from streams.core.engine import Engine
from streams.core.policy import DEFAULT_POLICY_SET
from streams.export.exporter import Exporter
from streams.simulator import ContactCentre, SimConfig

START = 1_795_000_000.0  # 2026-11-18


@cache
def base_stream() -> tuple[bytes, ...]:
    centre = ContactCentre(SimConfig(seed=11, arrivals_per_hour=600.0), START)
    events = itertools.islice(centre.events(), 240)
    return tuple(orjson.dumps(event) for event in events)


ODD_TIMESTAMPS = [
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59+00:00",
    "2026-11-18T10:00:00",  # no offset
    "2026-11-18T24:00:00Z",
    "2026-11-18T23:59:60Z",
    "2090-01-01T00:00:00Z",  # decades ahead, plausible
    "1970-01-01T00:00:00Z",
    "2026-11-18T10+00:00",
    "2026-W47-3T10:00:00Z",
    "",
    "2026-11-18T10:00:00.123456789123+14:00",
]
ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1e308,
    10**40,
    "",
    "x" * 70,
    "bad\nvalue",
    "y" * 100_000,
    [],
    {},
    [1, [2, [3]]],
]


def deep(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


@st.composite
def mutated(draw: st.DrawFn) -> list[bytes]:
    lines = list(base_stream())
    n = len(lines)
    for _ in range(draw(st.integers(0, 25))):
        i = draw(st.integers(0, n - 1))
        kind = draw(
            st.sampled_from(
                ["swap", "truncate", "flip", "huge", "deep", "ts", "repeat", "drop", "move"]
            )
        )
        line = lines[i]
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError:
            data = None
        if kind == "truncate":
            lines[i] = line[: draw(st.integers(0, max(0, len(line) - 1)))]
        elif kind == "flip":
            at = draw(st.integers(0, len(line) - 1)) if line else 0
            if line:
                lines[i] = (
                    line[:at] + bytes([line[at] ^ draw(st.integers(1, 255))]) + line[at + 1 :]
                )
        elif kind == "repeat":
            lines.insert(draw(st.integers(0, len(lines))), line)
        elif kind == "move":
            lines.insert(draw(st.integers(0, len(lines))), lines.pop(i))
        elif isinstance(data, dict):
            key = draw(st.sampled_from(sorted(data)))
            if kind == "swap":
                data[key] = draw(st.sampled_from(ODD_VALUES))
            elif kind == "huge":
                data[key] = "z" * draw(st.sampled_from([257, 70_000, 1_000_000]))
            elif kind == "deep":
                data[key] = deep(draw(st.sampled_from([31, 33, 300, 1000])))
            elif kind == "ts":
                data["ts"] = draw(st.sampled_from(ODD_TIMESTAMPS))
            elif kind == "drop":
                del data[key]
            try:
                lines[i] = orjson.dumps(data)
            except (orjson.JSONEncodeError, TypeError):
                lines[i] = b'{"nesting": "too deep for orjson"' + b"[" * 2000
    return lines


def check_exposition(
    exporter: Exporter, before: dict[tuple[str, tuple[tuple[str, str], ...]], float]
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = exporter.exposition().decode()
    now: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            now[key] = sample.value
            if family.type == "gauge":
                assert sample.value >= 0, key
            elif sample.name.endswith(("_total", "_bucket", "_count")):
                assert sample.value >= before.get(key, 0.0), key
    return now


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_mutated_streams_never_break_the_engine_or_lose_a_line(lines: list[bytes]) -> None:
    exporter = Exporter()
    engine = Engine(DEFAULT_POLICY_SET, exporter)
    exporter.watch(engine, now=lambda: engine.now)
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for count, line in enumerate(lines, start=1):
        engine.ingest(line, event_clock=True)  # nothing may escape
        if count % 60 == 0 or count == len(lines):
            seen = check_exposition(exporter, seen)
            counters = exporter.counters
            processed = sum(counters["events_processed"].values())
            rejected = sum(counters["events_rejected"].values())
            duplicates = counters["events_duplicate"][()]
            held = engine.gauges(engine.now).orphan_events
            assert processed + rejected + duplicates + held == count
    engine.expire(engine.now + 30 * 86400.0)
    engine.settle()
    check_exposition(exporter, seen)
    for ticket in engine.tickets.values():
        orjson.dumps(ticket.to_state())  # every state record still encodes
