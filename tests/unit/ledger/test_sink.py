"""``Ledger``, the engine's RecordSink: batches, the interval, retention, a failing store."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from streams.core.records import Record
from streams.errors import UserError
from streams.ledger.query import parse_filter
from streams.ledger.sink import Ledger
from streams.ledger.store import SqlStore, open_store
from tests.unit.ledger.rows import MON, SURVEY, T1, T2, T3, outcome

DAY = 86400.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def ledger_at(tmp_path: Path, clock: FakeClock, **options: float) -> Ledger:
    return Ledger(open_store(str(tmp_path / "ledger.sqlite3")), clock=clock, **options)  # type: ignore[arg-type]


def test_records_wait_until_the_batch_is_full(tmp_path: Path) -> None:
    ledger = ledger_at(tmp_path, FakeClock(), batch=3)
    ledger.record(T1)
    ledger.record(T2)
    assert ledger.store.count("outcome") == 0  # two waiting
    ledger.record(T3)  # the third fills the batch: one transaction of three
    assert ledger.store.count("outcome") == 3
    assert ledger.written == 3 and not ledger.pending
    ledger.close()


def test_a_key_reported_twice_before_a_write_is_written_once(tmp_path: Path) -> None:
    ledger = ledger_at(tmp_path, FakeClock(), batch=10)
    ledger.record(T2._replace(stopped=None, late=0.0))  # breached at its deadline
    ledger.record(T2)  # then stopped, 300 s late
    ledger.flush()
    assert ledger.written == 1
    assert ledger.store.select(parse_filter()) == [tuple(T2)]
    ledger.close()


def test_records_are_written_once_the_interval_has_passed(tmp_path: Path) -> None:
    clock = FakeClock()
    ledger = ledger_at(tmp_path, clock, batch=1000, interval=1.0)
    ledger.record(T1)
    ledger.flush_due()
    assert ledger.store.count("outcome") == 0
    clock.now += 1.0
    ledger.flush_due()  # a quiet serve: no record comes, the tick writes it
    assert ledger.store.count("outcome") == 1
    clock.now += 1.0
    ledger.record(T2)  # a record after the interval writes itself and what waits
    assert ledger.store.count("outcome") == 2
    ledger.close()


def test_close_writes_what_waits(tmp_path: Path) -> None:
    ledger = ledger_at(tmp_path, FakeClock())
    ledger.record(T1)
    ledger.record(SURVEY)
    ledger.close()
    store = open_store(str(tmp_path / "ledger.sqlite3"), create=False)
    assert (store.count("outcome"), store.count("survey")) == (1, 1)
    store.close()


def test_rows_older_than_the_retention_go_as_event_time_moves_on(tmp_path: Path) -> None:
    ledger = ledger_at(tmp_path, FakeClock(), retention_days=400, batch=1)
    ledger.record(T1)  # known Monday 09:05
    ledger.record(outcome("later", stopped=MON + 400 * DAY))  # 400 days after T1's start
    assert ledger.store.count("outcome") == 2  # T1 is 400 days minus 5 minutes old: kept
    ledger.record(outcome("much-later", started=MON + 402 * DAY, stopped=MON + 402 * DAY))
    # the horizon is now Monday + 2 days: T1 goes, the other two stay
    assert [row[0] for row in ledger.store.select(parse_filter())] == ["later", "much-later"]
    assert ledger.pruned == 1
    ledger.close()


class BrokenStore(SqlStore):
    """A store whose writes fail until ``healed``."""

    where = "broken://"

    def __init__(self) -> None:
        self.healed = False
        self.rows: list[Record] = []

    def write(self, records: Iterable[Record]) -> int:
        if not self.healed:
            raise OSError("disk full")
        batch = list(records)
        self.rows.extend(batch)
        return len(batch)

    def prune(self, horizon: float) -> int:
        return 0

    def newest(self) -> float:
        return float("-inf")

    def close(self) -> None:
        pass


def test_a_failing_store_never_reaches_the_engine_and_loses_nothing_it_can_keep() -> None:
    store = BrokenStore()
    ledger = Ledger(store, batch=1, max_pending=2)
    ledger.record(T1)  # each write fails: kept, no exception
    ledger.record(T2)
    assert ledger.failing and len(ledger.pending) == 2
    ledger.record(T3)  # beyond max_pending: the oldest (T1) is dropped and counted
    assert ledger.dropped == 1
    store.healed = True
    ledger.flush()
    assert store.rows == [T2, T3] and not ledger.failing


def test_close_says_in_one_line_when_the_store_fails() -> None:
    ledger = Ledger(BrokenStore())
    ledger.record(T1)
    with pytest.raises(UserError, match=r"^cannot write the ledger broken://: disk full$"):
        ledger.close()
