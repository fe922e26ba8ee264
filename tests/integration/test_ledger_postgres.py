"""The ledger on a real PostgreSQL (started from Debian's packages by tests/postgres.py):
the store tests of tests/unit/ledger/test_store.py, then replay and outcomes on it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.ledger.query import parse_filter
from streams.ledger.store import SqlStore, open_store
from tests.support import created, reply
from tests.unit.ledger.rows import ALL, T1, T2, outcome
from tests.unit.ledger.test_store import (  # noqa: F401 - collected here against PostgreSQL
    test_a_later_record_of_the_same_key_replaces_the_row,
    test_another_cycle_or_target_is_another_row,
    test_each_kind_is_read_back_field_for_field,
    test_filters_by_team_target_outcome_and_agent,
    test_prune_deletes_the_rows_known_before_the_horizon,
    test_the_last_record_of_a_key_wins_within_one_batch,
    test_time_filters_are_half_open_on_when_the_fact_became_known,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def store(postgres_url: str) -> Iterator[SqlStore]:
    opened = open_store(postgres_url)
    try:
        yield opened
    finally:
        opened.close()


def test_writers_opening_the_same_database_share_one_schema(postgres_url: str) -> None:
    first, second = open_store(postgres_url), open_store(postgres_url)
    first.write([T1, T2])
    second.write([T2])  # a redelivery from another worker: the same row
    assert second.count("outcome") == 2
    with second.transaction() as connection:
        assert connection.execute("SELECT version FROM ledger_schema").fetchall() == [(1,)]
    first.close()
    second.close()


def test_a_reader_of_a_database_without_the_tables_gets_one_line(postgres_url: str) -> None:
    from streams.errors import UserError

    with pytest.raises(UserError, match=r"^no ledger in postgresql://.* \(no ledger tables\)$"):
        open_store(postgres_url, create=False)


def test_replay_into_postgres_then_outcomes_from_it(postgres_url: str, tmp_path: Path) -> None:
    vip = {"customer_tier": "vip", "priority": "urgent", "channel": "chat"}
    events = [
        created("p1", "2026-11-23 09:00", **vip),
        reply("p1", "2026-11-23 09:20", agent_id="bo"),  # 5 min past 09:15
        created("p2", "2026-11-23 09:00", **vip),
        reply("p2", "2026-11-23 09:01"),
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))

    def servicepulse(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "streams.cli", *args],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    for _ in range(2):  # replayed twice: upserts leave each outcome once
        servicepulse("replay", str(path), "--ledger", postgres_url, "--out", str(tmp_path / "m"))
    rows = json.loads(servicepulse("outcomes", "--ledger", postgres_url, "--format", "json"))
    assert [(r["ticket_id"], r["target"], r["outcome"], r["late"]) for r in rows] == [
        ("p2", "first_response", "met", -840),
        ("p1", "first_response", "breached", 300),
    ]


def test_every_kind_round_trips_with_its_types(store: SqlStore) -> None:
    store.write(ALL)
    rows = store.select(parse_filter(kind="review"))
    assert rows == [tuple(ALL[-1])] and isinstance(rows[0][-1], float)


def test_a_lost_connection_is_made_again_and_nothing_is_lost(postgres_url: str) -> None:
    import psycopg

    from streams.ledger.sink import Ledger

    store = open_store(postgres_url)
    ledger = Ledger(store, batch=1)
    with psycopg.connect(postgres_url, autocommit=True) as admin:  # as a server restart would
        admin.execute("SELECT pg_terminate_backend(%s)", (store.connection.info.backend_pid,))
    ledger.record(T1)  # the write fails on the dead connection: T1 kept, no exception
    assert ledger.failing and len(ledger.pending) == 1
    ledger.record(T2)  # the next flush connects again and writes both
    assert not ledger.failing and store.count("outcome") == 2
    ledger.close()


def test_a_batch_mixing_whole_and_fractional_seconds_is_written(store: SqlStore) -> None:
    """One array per column: 600 (an int) beside 600.5 must not fail the batch."""
    whole, fraction = outcome("w1", late=600), outcome("w2", late=600.5)
    assert store.write([whole, fraction]) == 2
    rows = store.select(parse_filter(kind="outcome"))
    assert sorted(row[-1] for row in rows) == [600.0, 600.5]
