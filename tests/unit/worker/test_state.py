"""The worker's state without Kafka: expiry writes tombstones, tombstones load as nothing."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import orjson

from streams.core.policy import DEFAULT_POLICY_SET
from streams.export.catalogue import BY_NAME
from streams.kafka.settings import WORKER_OPTIONS, resolve
from streams.worker import records
from streams.worker.state import State

DAY = 86400.0
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()


class Message:
    def __init__(self, partition: int, offset: int, event: dict[str, object]) -> None:
        self.partition, self.offset, self.value = partition, offset, orjson.dumps(event)
        self.key, self.topic = str(event.get("ticket_id")).encode(), "interactions"


def at(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def event(n: int, kind: str, ticket: str, ts: float, **extra: object) -> dict[str, object]:
    return {"event_id": f"e{n}", "type": kind, "ticket_id": ticket, "ts": at(ts), **extra}


def new_state() -> State:
    state = State(resolve(argparse.Namespace(), WORKER_OPTIONS), DEFAULT_POLICY_SET)
    state.load([], {0})
    state.expect(0)
    return state


CREATED = {"team": "sales", "channel": "chat", "priority": "high", "customer_id": "C1"}


def test_a_closed_ticket_past_the_retention_leaves_memory_and_gets_a_tombstone() -> None:
    state = new_state()
    state.process(
        [
            Message(0, 0, event(0, "ticket.created", "T1", T0, **CREATED)),
            Message(0, 1, event(1, "ticket.closed", "T1", T0 + 60)),
            Message(0, 2, event(2, "ticket.created", "T2", T0 + 120, **CREATED)),
        ],
        T0 + 120,
    )
    list(state.take_touched())
    state.advance(T0 + 60 + 2 * DAY)
    assert state.expire(retention=DAY) == 1
    assert "T1" not in state.tickets
    assert "T2" in state.tickets  # open: never expired
    written = list(state.take_touched())
    assert (0, b"T1", None) in written
    assert state.expired == 1


def test_events_held_for_a_ticket_that_never_came_are_dead_lettered_as_no_ticket() -> None:
    state = new_state()
    orphan = event(5, "ticket.assigned", "T9", T0, agent_id="A1")
    state.process([Message(0, 0, orphan)], T0)
    assert state.tickets["T9"].state == "orphan"
    state.advance(T0 + 3 * DAY)
    assert state.expire(retention=DAY) == 1
    reasons = [reason for _key, _raw, reason, _source in state.dead_letters]
    assert reasons == ["no_ticket"]
    assert orjson.loads(state.dead_letters[0][1])["event_id"] == "e5"
    assert (0, b"T9", None) in list(state.take_touched())


def test_a_tombstone_in_the_changelog_loads_as_no_ticket() -> None:
    state = State(resolve(argparse.Namespace(), WORKER_OPTIONS), DEFAULT_POLICY_SET)
    clock_key, clock_value = records.encode_clock(0, T0, 41)
    assert state.load([(b"T1", None), (clock_key, clock_value)], {0}) == 0
    assert state.tickets == {} and state.last_offset[0] == 41
    assert state.offsets.durable[0] == 41


def test_a_partition_that_just_caught_up_holds_the_event_clock_until_it_is_idle() -> None:
    state = new_state()
    state.load([], {1})
    state.expect(1)
    state.process(
        [
            Message(0, 0, event(0, "ticket.created", "T1", T0, **CREATED)),
            Message(1, 0, event(1, "ticket.created", "T2", T0 + 3600, **CREATED)),
        ],
        T0,
    )
    ends: dict[int, int | None] = {0: 1, 1: 1}  # both read to their high-water mark
    assert state.watermark(ends, now=100.0) == T0  # partition 0 may still get events
    assert state.watermark(ends, now=101.0) == T0
    assert state.watermark(ends, now=102.5) == T0 + 3600  # both idle for 2 s: the latest
    assert state.watermark({0: 5, 1: 1}, now=103.0) == T0  # partition 0 has more to read


def test_each_applied_event_s_lag_behind_the_batch_s_wall_clock_lands_in_its_bucket() -> None:
    state = new_state()
    lag = state.exporter.histograms["event_lag_seconds"][()]
    bounds = list(BY_NAME["event_lag_seconds"].buckets)
    state.process(
        [
            Message(0, 0, event(0, "ticket.created", "T1", T0, **CREATED)),  # 30 s behind
            Message(0, 1, event(1, "ticket.created", "T2", T0 + 29, **CREATED)),  # 1 s
            Message(0, 2, event(2, "ticket.created", "T3", T0 + 40, **CREATED)),  # ahead: 0
            Message(0, 3, event(3, "ticket.bogus", "T1", T0)),  # rejected: no lag
        ],
        T0 + 30,
    )

    assert state.events == 4
    assert lag.count == 3
    assert lag.sum == 31.0  # 30 + 1 + 0
    want = [0] * (len(bounds) + 1)
    for seconds in (30.0, 1.0, 0.0):  # le is inclusive: the first bound >= the lag
        want[next((i for i, b in enumerate(bounds) if seconds <= b), len(bounds))] += 1
    assert lag.buckets == want


def test_a_batch_of_interleaved_partitions_applies_each_offset_once_in_order() -> None:
    """State.process runs a batch partition by partition; a re-delivered or missing offset
    in the middle of a run is told apart as admit alone tells it."""
    state = State(resolve(argparse.Namespace(), WORKER_OPTIONS), DEFAULT_POLICY_SET)
    state.load([], {0, 1})
    state.expect(0)
    state.expect(1)

    def created(partition: int, offset: int, minutes: int) -> Message:
        ticket = f"P{partition}-{offset}"
        made = event(100 * partition + offset, "ticket.created", ticket, T0 + 60 * minutes)
        return Message(partition, offset, {**made, **CREATED})

    batch = [
        created(0, 0, 5),
        created(0, 1, 3),
        created(1, 0, 9),
        created(0, 2, 4),
        created(0, 1, 8),  # re-delivered: skipped
        created(0, 3, 1),
        created(1, 1, 2),
        created(1, 3, 7),  # past a hole at 1/2: not applied, a seek back asked
        created(1, 2, 6),  # the hole's offset, fetched later: applied, the seek is void
    ]
    state.process(batch, T0 + 600)
    assert set(state.tickets) == {
        "P0-0",
        "P0-1",
        "P0-2",
        "P0-3",
        "P1-0",
        "P1-1",
        "P1-2",
    }
    assert state.last_offset == {0: 3, 1: 2} and state.skipped == 2 and not state.rewinds
    assert state.latest_ts == {0: T0 + 300, 1: T0 + 540}  # the latest time, not the last
    assert state.partitions[0].touched == {"P0-0", "P0-1", "P0-2", "P0-3"}
    state.process([created(1, 3, 10), created(0, 4, 11)], T0 + 700)  # the next batch
    assert state.last_offset == {0: 4, 1: 3} and state.latest_ts == {0: T0 + 660, 1: T0 + 600}
