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
from streams.kafka.settings import WORKER_OPTIONS, resolve
from streams.worker.changelog import ChangelogError, ChangelogWriter
from streams.worker.records import is_clock, is_series
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


def ticket_keys(keys: list[bytes]) -> list[bytes]:
    """The ticket records' keys among a batch's (not the tally series, not the clock)."""
    return [k for k in keys if not is_clock(k) and not is_series(k)]


def writer_for(state: State, producer: FakeProducer, failures: list[Exception]) -> ChangelogWriter:
    async def on_failure(error: ChangelogError) -> None:
        failures.append(error)

    return ChangelogWriter(state, lambda: producer, "changelog", "dlq", on_failure, every=0.0)


def test_the_next_batch_is_applied_while_the_previous_is_unacknowledged_and_commits_wait() -> None:
    async def run() -> None:
        state, producer, failures = new_state(), FakeProducer(), []
        writer = writer_for(state, producer, failures)
        state.process([Message(0, 0, "A"), Message(0, 1, "B"), Message(1, 0, "C")], 0.0)
        await writer.flush()  # returns without any acknowledgement
        first = [delivery for *_, delivery in producer.sent]
        assert len(first) == 2  # one record batch per changelog partition
        state.process([Message(0, 2, "D"), Message(1, 1, "E")], 0.0)  # batch 2 applied
        await writer.flush()  # not sent yet: batch 1 is in flight
        assert "D" in state.tickets and "E" in state.tickets
        assert len(producer.sent) == 2
        assert state.offsets.durable == {}  # nothing acknowledged: nothing to commit
        first[0].set_result(None)
        await settle()
        assert state.offsets.durable == {} and len(producer.sent) == 2  # one is not enough
        first[1].set_result(None)
        await settle()
        assert state.offsets.durable == {0: 1, 1: 0}  # batch 1's positions only
        second = [delivery for *_, delivery in producer.sent[2:]]
        assert len(second) == 2  # batch 2 went out once batch 1 was in the changelog
        for delivery in second:
            delivery.set_result(None)
        await writer.drained()
        assert state.offsets.durable == {0: 2, 1: 1}
        assert failures == []
        # per flush and changelog partition: the touched tickets, then the clock record
        tickets = [(p, tuple(sorted(ticket_keys(keys)))) for _, p, keys, _ in producer.sent]
        assert set(tickets[:2]) == {(0, (b"A", b"B")), (1, (b"C",))}
        assert set(tickets[2:]) == {(0, (b"D",)), (1, (b"E",))}
        assert all(is_clock(keys[-1]) for *_, keys, _ in producer.sent)

    asyncio.run(run())


def test_what_is_touched_while_a_flush_is_in_flight_goes_out_together_after_it() -> None:
    async def run() -> None:
        state, producer, failures = new_state(), FakeProducer(), []
        writer = writer_for(state, producer, failures)
        state.process([Message(0, 0, "A")], 0.0)
        await writer.flush()
        for offset, ticket in ((1, "B"), (2, "C"), (3, "D")):
            state.process([Message(0, offset, ticket)], 0.0)
            await writer.flush()
        assert len(producer.sent) == 1 and writer.flushes == 1  # one flush in flight
        producer.sent[0][3].set_result(None)
        await settle()
        assert len(producer.sent) == 2 and writer.flushes == 2  # the three, in one flush
        assert sorted(ticket_keys(producer.sent[1][2])) == [b"B", b"C", b"D"]
        assert state.offsets.durable == {0: 0, 1: -1}
        producer.sent[1][3].set_result(None)
        await writer.drained()
        assert state.offsets.durable == {0: 3, 1: -1}

    asyncio.run(run())


def test_a_refused_write_stops_the_writer_before_anything_after_it_is_sent() -> None:
    async def run() -> None:
        state, producer, failures = new_state(), FakeProducer(), []
        writer = writer_for(state, producer, failures)
        state.process([Message(0, 0, "A")], 0.0)
        await writer.flush()
        state.process([Message(0, 1, "B")], 0.0)
        await writer.flush()  # waits behind the first
        producer.sent[0][3].set_exception(RuntimeError("MessageSizeTooLarge"))
        await writer.drained()
        await settle()
        # B's state and its clock record never reach the changelog: a clock record past
        # state that is not there would lose that state at the next load
        assert len(producer.sent) == 1
        assert state.offsets.durable == {}  # neither position may be committed
        assert len(failures) == 1 and "MessageSizeTooLarge" in str(failures[0])
        with pytest.raises(ChangelogError):
            await writer.flush()  # the worker stops: nothing more is written

    asyncio.run(run())


def test_a_flush_with_nothing_new_becomes_durable_only_after_the_flush_in_flight() -> None:
    async def run() -> None:
        state, producer, failures = new_state(), FakeProducer(), []
        writer = writer_for(state, producer, failures)
        state.process([Message(0, 0, "A")], 0.0)
        await writer.flush()
        await writer.flush()  # e.g. a clock tick with nothing touched
        await settle()
        assert state.offsets.durable == {}
        producer.sent[0][3].set_result(None)
        await writer.drained()
        assert state.offsets.durable == {0: 0, 1: -1}
        assert len(producer.sent) == 1

    asyncio.run(run())


def test_flushes_are_spaced_and_what_waits_goes_out_once_per_key() -> None:
    async def run() -> None:
        state, producer, failures = new_state(), FakeProducer(), []
        writer = ChangelogWriter(state, lambda: producer, "changelog", "dlq", failures.append, 0.2)  # type: ignore[arg-type]
        state.process([Message(0, 0, "A")], 0.0)
        await writer.flush()
        producer.sent[0][3].set_result(None)
        await settle()
        sent_at = asyncio.get_running_loop().time()
        # acknowledged, but within the spacing: three batches touching A and B wait (A's
        # second creation is refused, a dead letter, and still touches A)
        for offset, ticket in ((1, "A"), (2, "B"), (3, "A")):
            state.process([Message(0, offset, ticket)], 0.0)
            await writer.flush()
        await settle()
        assert len(producer.sent) == 1 and state.offsets.durable == {0: 0, 1: -1}
        while len(producer.sent) == 1:
            await asyncio.sleep(0.01)
        assert asyncio.get_running_loop().time() - sent_at >= 0.2 - 0.01  # timer resolution
        changelog = [keys for topic, _, keys, _ in producer.sent[1:] if topic == "changelog"]
        letters = [keys for topic, _, keys, _ in producer.sent[1:] if topic == "dlq"]
        assert len(changelog) == 1 and letters == [[b"A"], [b"A"]]
        # one flush, each key once: A (touched twice) and B, then one clock record, last
        assert sorted(ticket_keys(changelog[0])) == [b"A", b"B"]
        assert len(changelog[0]) == len(set(changelog[0]))
        assert [k for k in changelog[0] if is_clock(k)] == [changelog[0][-1]]
        for *_, delivery in producer.sent[1:]:
            delivery.set_result(None)
        await writer.drained()
        assert state.offsets.durable == {0: 3, 1: -1}
        assert failures == []

    asyncio.run(run())


def test_a_rebalance_sends_what_waits_for_the_spacing_at_once() -> None:
    async def run() -> None:
        state, producer, failures = new_state(), FakeProducer(), []
        writer = ChangelogWriter(state, lambda: producer, "changelog", "dlq", failures.append, 3600)  # type: ignore[arg-type]
        state.process([Message(0, 0, "A")], 0.0)
        await writer.flush()
        producer.sent[0][3].set_result(None)
        state.process([Message(0, 1, "B")], 0.0)
        await writer.flush()  # an hour's spacing: it would wait
        await settle()
        assert len(producer.sent) == 1
        drained = asyncio.ensure_future(writer.drained())  # what a revocation does
        while len(producer.sent) == 1:
            await asyncio.sleep(0)
        assert ticket_keys(producer.sent[1][2]) == [b"B"]
        assert not drained.done()  # until B's flush is acknowledged
        producer.sent[1][3].set_result(None)
        await drained
        assert state.offsets.durable == {0: 1, 1: -1} and failures == []

    asyncio.run(run())
