"""The engine holds exactly the latest assignment's partitions, each read once per ownership.

A changelog kept in a dict stands in for Kafka; each read waits until the test lets it end,
so rebalances can land while it is under way (as they do when workers come and go).
"""

from __future__ import annotations

import argparse
import asyncio

import orjson

from streams.core.policy import DEFAULT_POLICY_SET
from streams.core.ticket import OPEN
from streams.kafka.settings import WORKER_OPTIONS, resolve
from streams.worker.loading import Loader
from streams.worker.recovery import Stored
from streams.worker.state import State

TS = "2026-03-02T09:00:00Z"
CLOSED_TS = "2026-03-02T09:05:00Z"


class Message:
    def __init__(self, partition: int, offset: int, kind: str, ticket: str, ts: str) -> None:
        event = {"event_id": f"e{partition}-{offset}", "type": kind, "ticket_id": ticket, "ts": ts}
        if kind == "ticket.created":
            event |= {"team": "sales", "channel": "chat", "priority": "high", "customer_id": "C"}
        self.partition, self.offset, self.value = partition, offset, orjson.dumps(event)
        self.key, self.topic = ticket.encode(), "interactions"


def new_state() -> State:
    return State(resolve(argparse.Namespace(), WORKER_OPTIONS), DEFAULT_POLICY_SET)


def stored_changelog() -> dict[bytes, bytes | None]:
    """What a previous owner wrote: ticket P1-A open on partition 1, P2-A on 2 (offset 0)."""
    writer = new_state()
    writer.load([], {1, 2})
    writer.expect(1)
    writer.expect(2)
    writer.process(
        [
            Message(1, 0, "ticket.created", "P1-A", TS),
            Message(2, 0, "ticket.created", "P2-A", TS),
        ],
        0.0,
    )
    return {key: value for _, key, value in writer.take_touched()}


class SlowChangelog:
    """Reads that end when the test says so; every read is recorded."""

    def __init__(self, stored: dict[bytes, bytes | None]) -> None:
        self.stored = stored
        self.reads: list[set[int]] = []
        self.gates: list[asyncio.Event] = []
        self.fail = False

    async def read(self, partitions: set[int]) -> Stored:
        self.reads.append(set(partitions))
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        if self.fail:
            raise ConnectionError("broker gone")
        return Stored(dict(self.stored), [])

    def release(self) -> None:
        for gate in self.gates:
            gate.set()


class Harness:
    def __init__(self) -> None:
        self.state = new_state()
        self.changelog = SlowChangelog(stored_changelog())
        self.errors: list[BaseException] = []
        self.finished = 0
        self.loader = Loader(self.state, self.changelog.read, self._failed, self._done)

    async def _failed(self, exc: BaseException) -> None:
        self.errors.append(exc)

    def _done(self) -> None:
        self.finished += 1


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


def test_a_rebalance_during_a_read_does_not_read_the_same_partitions_again() -> None:
    async def run() -> None:
        h = Harness()
        h.loader.assign({1})
        await settle()
        h.loader.assign({1})  # the next generation, same partitions, read still under way
        await settle()
        h.changelog.release()
        await asyncio.wait_for(h.loader.done.wait(), 1)
        assert h.changelog.reads == [{1}]
        # Input applied after the load stays applied: the ticket closes and stays closed.
        h.state.process([Message(1, 1, "ticket.closed", "P1-A", CLOSED_TS)], 0.0)
        h.loader.assign({1})
        await settle()
        assert h.changelog.reads == [{1}] and h.loader.done.is_set()
        assert h.state.tickets["P1-A"].state != OPEN
        assert h.state.last_offset == {1: 1}

    asyncio.run(run())


def test_input_waits_until_the_latest_assignment_is_loaded() -> None:
    async def run() -> None:
        h = Harness()
        h.loader.assign({1})
        await settle()
        h.loader.assign({1, 2})  # partition 2 arrives while 1 is being read
        h.changelog.release()
        await settle()
        assert not h.loader.done.is_set() and h.finished == 0  # 2 is not in yet
        assert h.changelog.reads == [{1}, {2}]
        h.changelog.release()
        await asyncio.wait_for(h.loader.done.wait(), 1)
        assert h.finished == 1
        assert h.state.loaded == {1, 2}
        assert set(h.state.tickets) == {"P1-A", "P2-A"}
        assert h.state.last_offset == {1: 0, 2: 0}  # each resumes after its clock record

    asyncio.run(run())


def test_a_partition_revoked_during_its_read_is_dropped_when_the_read_ends() -> None:
    async def run() -> None:
        h = Harness()
        h.loader.assign({1, 2})
        await settle()
        h.loader.assign({1})  # 2 went to another worker meanwhile
        h.changelog.release()
        await asyncio.wait_for(h.loader.done.wait(), 1)
        assert h.changelog.reads == [{1, 2}]
        assert h.state.loaded == {1}
        assert set(h.state.tickets) == {"P1-A"}  # gauges count only what it owns
        assert h.state.last_offset == {1: 0}

    asyncio.run(run())


def test_a_partition_that_left_and_came_back_during_its_read_is_read_again() -> None:
    async def run() -> None:
        h = Harness()
        h.loader.assign({1})
        await settle()
        h.loader.assign({2})  # 1 went to another worker, which may write its changelog
        h.loader.assign({1, 2})  # and came back before the read ended
        h.changelog.release()
        await settle()
        assert h.changelog.reads == [{1}, {1, 2}] and not h.loader.done.is_set()
        h.changelog.release()
        await asyncio.wait_for(h.loader.done.wait(), 1)
        assert h.state.loaded == {1, 2} and h.finished == 1
        assert set(h.state.tickets) == {"P1-A", "P2-A"}

    asyncio.run(run())


def test_a_failed_read_is_reported_and_input_stays_held() -> None:
    async def run() -> None:
        h = Harness()
        h.changelog.fail = True
        h.loader.assign({1})
        await settle()
        h.changelog.release()
        await settle()
        assert [type(e) for e in h.errors] == [ConnectionError]
        assert not h.loader.done.is_set() and h.finished == 0
        assert h.state.loaded == set() and h.state.tickets == {}

    asyncio.run(run())


def test_moved_partitions_are_dropped_at_once_when_nothing_is_new() -> None:
    async def run() -> None:
        h = Harness()
        h.loader.assign({1, 2})
        await settle()
        h.changelog.release()
        await asyncio.wait_for(h.loader.done.wait(), 1)
        h.loader.assign({2})
        assert h.loader.done.is_set() and not h.loader.loading
        assert set(h.state.tickets) == {"P2-A"} and h.state.loaded == {2}

    asyncio.run(run())
