"""A partition's counters travel with its state: summed over partitions they equal one engine's.

The reference is a single engine and exporter fed the same events in the same order and
advanced to the same instants: what ``replay`` computes. The worker's side keeps one
engine and tally per partition and, in between, is "killed": what it wrote to a changelog
(kept here as a list in log order, read as ``recovery.py`` reads Kafka) is all a new
state gets.
"""

from __future__ import annotations

import argparse
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime

import orjson

from streams.core.engine import Engine
from streams.core.events import parse_ts
from streams.core.policy import DEFAULT_POLICY_SET
from streams.export.exporter import Exporter
from streams.kafka.settings import WORKER_OPTIONS, resolve
from streams.simulator.contact_centre import ContactCentre
from streams.simulator.scenarios import SimConfig
from streams.worker.records import is_clock
from streams.worker.recovery import Flushes
from streams.worker.state import State
from streams.worker.tally import NOT_PERSISTED

PARTITIONS = 3
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC).timestamp()


class Message:
    def __init__(self, partition: int, offset: int, raw: bytes, ticket: str) -> None:
        self.partition, self.offset, self.value = partition, offset, raw
        self.key, self.topic = ticket.encode(), "interactions"


def simulated(hours: float) -> list[tuple[float, bytes, str]]:
    config = SimConfig(seed=5, arrivals_per_hour=240.0, flat_arrivals=True)
    events = ContactCentre(config, START).events(START + hours * 3600)
    return [(parse_ts(e["ts"]), orjson.dumps(e), str(e["ticket_id"])) for e in events]


def messages(events: list[tuple[float, bytes, str]]) -> list[tuple[float, Message]]:
    offsets = [0] * PARTITIONS
    out = []
    for ts, raw, ticket in events:
        partition = zlib.crc32(ticket.encode()) % PARTITIONS
        out.append((ts, Message(partition, offsets[partition], raw, ticket)))
        offsets[partition] += 1
    return out


def reference(events: Iterable[tuple[float, bytes, str]]) -> tuple[Exporter, Engine]:
    exporter = Exporter()
    engine = Engine(DEFAULT_POLICY_SET, exporter)
    for ts, raw, _ in events:
        engine.ingest(raw)
        engine.advance(ts)
    return exporter, engine


def new_state(changelog: list[tuple[int, bytes, bytes | None]] | None = None) -> State:
    state = State(resolve(argparse.Namespace(), WORKER_OPTIONS), DEFAULT_POLICY_SET)
    flushes = Flushes()
    for partition, key, value in changelog or []:
        flushes.add(partition, key, value)
    stored = flushes.stored()
    state.load(stored.latest.items(), set(range(PARTITIONS)), stored.tail)
    for partition in range(PARTITIONS):
        state.expect(partition)
    return state


def run(state: State, batch: list[tuple[float, Message]]) -> None:
    for ts, message in batch:
        state.process([message], 0.0)
        state.advance(ts)


def summed(state: State) -> tuple[dict[tuple[str, tuple[str, ...]], float], dict[object, object]]:
    counters: dict[tuple[str, tuple[str, ...]], float] = {}
    histograms: dict[object, object] = {}
    for part in state.partitions.values():
        for name, series in part.tally.counters.items():
            for labels, value in series.items():
                counters[name, labels] = counters.get((name, labels), 0.0) + value
        for name, hseries in part.tally.histograms.items():
            for labels, h in hseries.items():
                key = (name, labels)
                buckets, total, count = histograms.get(key, ([0] * len(h.buckets), 0.0, 0))  # type: ignore[misc]
                histograms[key] = (
                    [a + b for a, b in zip(buckets, h.buckets, strict=True)],
                    total + h.sum,
                    count + h.count,
                )
    return counters, histograms


def flattened(
    exporter: Exporter,
) -> tuple[dict[tuple[str, tuple[str, ...]], float], dict[object, object]]:
    counters = {(n, labels): v for n, s in exporter.counters.items() for labels, v in s.items()}
    histograms: dict[object, object] = {
        (n, labels): (list(h.buckets), h.sum, h.count)
        for n, s in exporter.histograms.items()
        if n not in NOT_PERSISTED
        for labels, h in s.items()
    }
    return counters, histograms


Figures = tuple[dict[tuple[str, tuple[str, ...]], float], dict[object, object]]


def assert_equal(got: Figures, want: Figures) -> None:
    """Same series, same counts; sums to 1e-9 (added in another order they differ in the
    last bits: 5767.7 and 5767.699999999999)."""
    (got_counters, got_histograms), (want_counters, want_histograms) = got, want
    assert got_counters.keys() == want_counters.keys()
    assert got_histograms.keys() == want_histograms.keys()
    for key, value in want_counters.items():
        assert abs(got_counters[key] - value) <= 1e-9 * max(1.0, abs(value)), key
    for key, (buckets, total, count) in want_histograms.items():  # type: ignore[misc]
        got_buckets, got_total, got_count = got_histograms[key]  # type: ignore[misc]
        assert (got_buckets, got_count) == (buckets, count), key
        assert abs(got_total - total) <= 1e-9 * max(1.0, abs(total)), key


def test_the_partitions_tallies_add_up_to_one_engine_over_the_same_events() -> None:
    events = simulated(hours=6)
    state = new_state()
    run(state, messages(events))
    want_counters, want_histograms = flattened(reference(events)[0])

    assert sum(v for (n, _), v in want_counters.items() if n == "tickets_created") > 500
    assert (
        sum(
            v
            for (n, lb), v in want_counters.items()
            if n == "sla_outcomes" and lb[-1] == "breached"
        )
        > 0
    )
    assert_equal(summed(state), (want_counters, want_histograms))


def test_tallies_survive_kills_between_flushes_and_in_the_middle_of_one() -> None:
    events = simulated(hours=6)
    stream = messages(events)
    changelog: list[tuple[int, bytes, bytes | None]] = []
    state = new_state()
    cut = len(stream) // 3
    run(state, stream[:cut])
    changelog.extend(state.take_touched())  # flush 1, complete
    run(state, stream[cut : 2 * cut])
    flush = list(state.take_touched())
    # killed while flush 2 was being written: of partition 0 only the first half landed
    # (no clock record), partitions 1 and 2 not at all
    of_zero = [record for record in flush if record[0] == 0]
    assert is_clock(of_zero[-1][1])
    changelog.extend(of_zero[: len(of_zero) // 2])

    state = new_state(changelog)  # the next owner: back to flush 1 everywhere
    assert state.last_offset == {
        p: max(m.offset for _, m in stream[:cut] if m.partition == p) for p in range(PARTITIONS)
    }
    repairs = [key for part in state.partitions.values() for key, _ in part.repairs]
    assert sorted(repairs) == sorted(key for _, key, _ in of_zero[: len(of_zero) // 2])
    run(state, stream[cut:])  # the consumer resumes after flush 1's positions
    changelog.extend(state.take_touched())
    want_counters, want_histograms = flattened(reference(events)[0])
    assert_equal(summed(state), (want_counters, want_histograms))

    state = new_state(changelog)  # and once more, from everything written
    assert_equal(summed(state), (want_counters, want_histograms))
    tickets = reference(events)[1].tickets
    assert {t: x.to_state() for t, x in state.tickets.items()} == {
        t: x.to_state() for t, x in tickets.items()
    }
