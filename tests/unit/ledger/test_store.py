"""The ledger's store on SQLite: upserts, filters, retention, schema version.

tests/integration/test_ledger_postgres.py runs these same tests against a real PostgreSQL
(its own ``store`` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streams.errors import UserError
from streams.ledger.query import parse_filter
from streams.ledger.store import SqlStore, open_store
from tests.support import at
from tests.unit.ledger.rows import ALL, MON, REVIEW, STINT, STINT_HELD, SURVEY, T1, T2, T3, T4


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = open_store(str(tmp_path / "ledger.sqlite3"))
    try:
        yield opened
    finally:
        opened.close()


def ids(store: SqlStore, **options: Any) -> list[str]:
    """The ticket ids (or event ids of surveys and reviews) of a filtered select, in order."""
    return [row[0] for row in store.select(parse_filter(**options))]


def test_a_later_record_of_the_same_key_replaces_the_row(store: SqlStore) -> None:
    breached_at_deadline = T2._replace(stopped=None, late=0.0)
    store.write([breached_at_deadline])
    store.write([T2])  # the late reply came: stopped 09:20, 300 s late
    rows = store.select(parse_filter(kind="outcome"))
    assert rows == [tuple(T2)]


def test_the_last_record_of_a_key_wins_within_one_batch(store: SqlStore) -> None:
    assert store.write([T2._replace(late=1.0), T2._replace(late=2.0), T2]) == 1
    assert store.select(parse_filter()) == [tuple(T2)]


def test_another_cycle_or_target_is_another_row(store: SqlStore) -> None:
    store.write([T1, T1._replace(cycle=1), T1._replace(target="resolution")])
    assert store.count("outcome") == 3


def test_each_kind_is_read_back_field_for_field(store: SqlStore) -> None:
    store.write(ALL)
    # ordered by when each became known: T1 stopped 09:05, T2 breached 09:15, T3 10:15,
    # T4 stopped Tuesday 09:00
    assert store.select(parse_filter(kind="outcome")) == [tuple(r) for r in (T1, T2, T3, T4)]
    # the first stint ended 09:30; the held one is known from its start, 09:30 too: by seq
    assert store.select(parse_filter(kind="stint")) == [tuple(STINT), tuple(STINT_HELD)]
    assert store.select(parse_filter(kind="survey")) == [tuple(SURVEY)]
    assert store.select(parse_filter(kind="review")) == [tuple(REVIEW)]


def test_filters_by_team_target_outcome_and_agent(store: SqlStore) -> None:
    store.write(ALL)
    assert ids(store, outcome="breached") == ["t2", "t3"]
    assert ids(store, team="technical") == ["t3"]
    assert ids(store, target="resolution") == ["t4"]
    assert ids(store, agent="bo") == ["t2"]
    assert ids(store, team="billing", outcome="met") == ["t1", "t4"]
    assert ids(store, kind="stint", outcome="breached") == ["t2"]
    assert ids(store, kind="survey", agent="ana") == ["s1"]
    assert ids(store, kind="review", team="technical") == []
    assert ids(store, ticket_id="t4") == ["t4"]


def test_time_filters_are_half_open_on_when_the_fact_became_known(store: SqlStore) -> None:
    store.write(ALL)
    # a breach is known at its deadline: t2 at 09:15 although answered at 09:20
    assert ids(store, since="2026-11-23T09:15:00Z", until="2026-11-23T10:15:00Z") == ["t2"]
    assert ids(store, since="2026-11-23T09:15:00+01:00") == ["t1", "t2", "t3", "t4"]
    assert ids(store, since="2026-11-24") == ["t4"]
    assert ids(store, until="2026-11-23T09:05:00Z") == []


def test_prune_deletes_the_rows_known_before_the_horizon(store: SqlStore) -> None:
    store.write(ALL)
    # before Monday 10:00: T1 (09:05), T2 (09:15), both stints (09:30), the survey (11:00
    # stays), T3 known 10:15 stays, T4 and the review on Tuesday stay
    assert store.prune(at("2026-11-23 10:00")) == 4
    assert ids(store) == ["t3", "t4"]
    assert ids(store, kind="stint") == []
    assert ids(store, kind="survey") == ["s1"]
    assert store.prune(MON) == 0


def test_a_schema_newer_than_this_code_is_refused(store: SqlStore, tmp_path: Path) -> None:
    if store.dialect != "sqlite":
        pytest.skip("one dialect is enough")
    with store.transaction() as connection:
        connection.execute("UPDATE ledger_schema SET version = 99")
    with pytest.raises(UserError, match="schema version 99, newer than this servicepulse"):
        open_store(str(tmp_path / "ledger.sqlite3"))


def test_reopening_keeps_the_rows_and_one_version_row(tmp_path: Path) -> None:
    path = str(tmp_path / "ledger.sqlite3")
    first = open_store(path)
    first.write([T1])
    first.close()
    again = open_store(path)
    assert again.select(parse_filter()) == [tuple(T1)]
    with again.transaction() as connection:
        assert connection.execute("SELECT version FROM ledger_schema").fetchall() == [(1,)]
    again.close()


def test_a_reader_never_creates_a_ledger(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"no ledger at .*missing\.sqlite3"):
        open_store(str(tmp_path / "missing.sqlite3"), create=False)
    assert not (tmp_path / "missing.sqlite3").exists()


def test_a_reader_sees_what_a_writer_committed(tmp_path: Path) -> None:
    path = str(tmp_path / "ledger.sqlite3")
    writer = open_store(path)
    writer.write([T1, T2])
    reader = open_store(path, create=False)
    assert ids(reader) == ["t1", "t2"]
    reader.close()
    writer.close()
