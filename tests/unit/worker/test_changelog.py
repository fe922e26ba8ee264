"""Durable positions follow the changelog's acknowledgements in order, while the engine goes on.

A fake producer whose deliveries the test resolves by hand stands in for Kafka.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import orjson
import pytest

from streams.core.policy import DEFAULT_POLICY_SET
from streams.settings import WORKER_OPTIONS, resolve
from streams.worker.changelog import ChangelogError, ChangelogWriter
from streams.worker.records import is_clock
from streams.worker.state import State

TS = "2026-03-02T09:00:00Z"


class Message:
    def __init__(self, partition: int, offset: int, ticket: str) -> None:
        event = {
            "event_id": f"e{partition}-{offset}",
            "type": "ticket.created",
            "ticket_id": ticket,
            "ts": TS,
            "team": "sales",
            "channel": "chat",
            "priority": "high",
            "customer_id": "C1",
        }
        self.partition, self.offset, self.value = partition, offset, orjson.dumps(event)
        self.key, self.topic = ticket.encode(), "interactions"


class Batch:
    def __init__(self) -> None:
        self.records: list[tuple[bytes, bytes | None]] = []

    def append(self, key: bytes, value: bytes | None, timestamp: None) -> object:
        self.records.append((key, value))
        return object()


class FakeProducer:
    """Every send returns a delivery future the test resolves (or fails) when it wants."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int | None, list[bytes], asyncio.Future[None]]] = []

    def create_batch(self) -> Batch:
        return Batch()

    async def send_batch(self, batch: Batch, topic: str, partition: int) -> asyncio.Future[None]:
        delivery: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sent.append((topic, partition, [key for key, _ in batch.records], delivery))
        return delivery

    async def send(self, topic: str, value: bytes, key: bytes | None, headers: Any) -> Any:
        delivery: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sent.append((topic, None, [key or b""], delivery))
        return delivery


def new_state() -> State:
    state = State(resolve(argparse.Namespace(), WORKER_OPTIONS), DEFAULT_POLICY_SET)
    state.load([], {0, 1})
    state.expect(0)
    state.expect(1)
    return state


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def writer_for(state: State, producer: FakeProducer, failures: list[Exception]) -> ChangelogWriter:
    async def on_failure(error: ChangelogError) -> None:
        failures.append(error)

    return ChangelogWriter(state, lambda: producer, "changelog", "dlq", on_failure)


def test_the_next_batch_is_applied_while_the_previous_is_unacknowledged_and_commits_wait() -> None:
    async def run() -> None:
        state, producer, failures = new_state(), FakeProducer(), []
        writer = writer_for(state, producer, failures)
        state.process([Message(0, 0, "A"), Message(0, 1, "B"), Message(1, 0, "C")], 0.0)
        await writer.flush()  # returns without any acknowledgement
        first = [delivery for *_, delivery in producer.sent]
        assert len(first) == 2  # one record batch per changelog partition
        state.process([Message(0, 2, "D"), Message(1, 1, "E")], 0.0)  # batch 2 applied
        await writer.flush()
        second = [delivery for *_, delivery in producer.sent[2:]]
        assert "D" in state.engine.tickets and "E" in state.engine.tickets
        assert state.ledger.durable == {}  # nothing acknowledged: nothing to commit
        for delivery in second:  # batch 2 acknowledged before batch 1
            delivery.set_result(None)
        await settle()
        assert state.ledger.durable == {}  # still waits for batch 1
        first[0].set_result(None)
        await settle()
        assert state.ledger.durable == {}  # one partition of batch 1 is not enough
        first[1].set_result(None)
        await writer.drained()
        assert state.ledger.durable == {0: 2, 1: 1}  # both flushes, in order
        assert writer.unacked == 0 and failures == []
        # per flush and changelog partition: the touched tickets, then the clock record
        tickets = [
            (p, tuple(sorted(k for k in keys if not is_clock(k))))
            for _, p, keys, _ in producer.sent
        ]
        assert set(tickets[:2]) == {(0, (b"A", b"B")), (1, (b"C",))}
        assert set(tickets[2:]) == {(0, (b"D",)), (1, (b"E",))}
        assert all(is_clock(keys[-1]) for *_, keys, _ in producer.sent)

    asyncio.run(run())


def test_durable_positions_stop_at_the_acknowledged_flush_when_a_later_one_is_in_flight() -> None:
    async def run() -> None:
        state, producer, failures = new_state(), FakeProducer(), []
        writer = writer_for(state, producer, failures)
        state.process([Message(0, 0, "A")], 0.0)
        await writer.flush()
        state.process([Message(0, 1, "B")], 0.0)
        await writer.flush()
        producer.sent[0][3].set_result(None)
        await settle()
        assert state.ledger.durable == {0: 0, 1: -1}  # batch 1's positions only
        producer.sent[1][3].set_result(None)
        await writer.drained()
        assert state.ledger.durable == {0: 1, 1: -1}

    asyncio.run(run())


def test_a_refused_write_keeps_every_later_position_from_becoming_durable() -> None:
    async def run() -> None:
        state, producer, failures = new_state(), FakeProducer(), []
        writer = writer_for(state, producer, failures)
        state.process([Message(0, 0, "A")], 0.0)
        await writer.flush()
        state.process([Message(0, 1, "B")], 0.0)
        await writer.flush()
        producer.sent[1][3].set_result(None)  # the later flush is acknowledged
        producer.sent[0][3].set_exception(RuntimeError("MessageSizeTooLarge"))
        await writer.drained()
        await settle()
        assert state.ledger.durable == {}  # neither position may be committed
        assert len(failures) == 1 and "MessageSizeTooLarge" in str(failures[0])
        with pytest.raises(ChangelogError):
            await writer.flush()  # the worker stops: nothing more is written

    asyncio.run(run())


def test_at_most_max_unacked_flushes_are_in_flight() -> None:
    async def run() -> None:
        state, producer, failures = new_state(), FakeProducer(), []
        writer = writer_for(state, producer, failures)
        writer.max_unacked = 2
        for offset in range(2):
            state.process([Message(0, offset, f"T{offset}")], 0.0)
            await writer.flush()
        state.process([Message(0, 2, "T2")], 0.0)
        third = asyncio.ensure_future(writer.flush())
        await settle()
        assert not third.done() and len(producer.sent) == 2  # waits for the oldest
        producer.sent[0][3].set_result(None)
        await settle()
        assert third.done() and len(producer.sent) == 3
        assert state.ledger.durable[0] == 0

    asyncio.run(run())


def test_a_flush_with_nothing_new_becomes_durable_only_after_the_flushes_before_it() -> None:
    async def run() -> None:
        state, producer, failures = new_state(), FakeProducer(), []
        writer = writer_for(state, producer, failures)
        state.process([Message(0, 0, "A")], 0.0)
        await writer.flush()
        await writer.flush()  # e.g. a clock tick with nothing touched
        await settle()
        assert state.ledger.durable == {}
        producer.sent[0][3].set_result(None)
        await writer.drained()
        assert state.ledger.durable == {0: 0, 1: -1}

    asyncio.run(run())
