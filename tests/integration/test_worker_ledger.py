"""The Kafka workers' outcomes ledger on a real PostgreSQL: exactly once through faults.

Workers on a real Kafka write their engines' records to a real PostgreSQL (``--ledger``)
while they are SIGKILLed, restarted and rebalanced. At the end the ledger holds exactly the
rows an in-process run of the same events gives (every outcome, stint, survey and review;
none missing, none twice, none stale): rows are written before the state that produced
them is committed, and re-applied events write the same keys again (docs/worker.md).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from streams.core.engine import Engine
from streams.core.policy import load_policy_file
from streams.core.records import Outcome, RecordList, Review, Stint, Survey
from streams.export.exporter import Exporter
from streams.replay import run_file, settle
from tests.integration.test_worker import (
    Kafka,
    WorkerProcess,
    kafka,
    simulated,
    wait_for,
    workers,
    write,
)

__all__ = ["kafka", "workers"]  # fixtures used below

Row = tuple[Any, ...]
POLICY = """\
policies:
  - name: tight
    match: {}
    calendar: always
    targets: {first_response: 5m, next_reply: 10m, resolution: 1h}
ola: {default: 20m}
"""


def expected_rows(path: Path, policy: Path) -> set[Row]:
    """The rows of an in-process run of the file (the engine replay and the worker share)."""
    engine = Engine(load_policy_file(policy), Exporter())
    engine.records = rows = RecordList()
    with open(path, "rb") as stream:
        run_file(stream, engine)
    settle(engine)
    found: set[Row] = set()
    for record in rows.rows.values():
        if isinstance(record, Outcome):
            found.add(("outcome", record.ticket_id, record.target, record.cycle, record.outcome,
                       record.stopped))  # fmt: skip
        elif isinstance(record, Stint):
            found.add(("stint", record.ticket_id, record.seq, record.ended_by, record.ended,
                       record.outcome))  # fmt: skip
        elif isinstance(record, Survey):
            found.add(("survey", record.event_id, record.kind, record.score))
        elif isinstance(record, Review):
            found.add(("review", record.event_id, record.score))
    return found


def ledger_rows(url: str) -> list[Row]:
    """Every row of the ledger's tables, read with plain SQL (a list: twice would show)."""
    import psycopg

    queries = {
        "outcome": "SELECT ticket_id, target, cycle, outcome, stopped FROM ledger_outcomes",
        "stint": "SELECT ticket_id, seq, ended_by, ended, outcome FROM ledger_stints",
        "survey": "SELECT event_id, kind, score FROM ledger_surveys",
        "review": "SELECT event_id, score FROM ledger_reviews",
    }
    found: list[Row] = []
    try:
        with psycopg.connect(url) as connection:
            for kind, query in queries.items():
                found += [(kind, *row) for row in connection.execute(query).fetchall()]
    except psycopg.errors.UndefinedTable:
        return []  # no worker has created the tables yet
    return found


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(900)
def test_the_ledger_has_every_row_exactly_once_after_sigkills_and_a_rebalance(
    kafka: Kafka,
    workers: Callable[..., WorkerProcess],
    postgres_url: str,
    tmp_path: Path,
) -> None:
    lines = simulated(seed=23, hours=4, per_hour=1200.0)  # ~30,000 events
    path = write(tmp_path / "events.jsonl", lines)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    options = ("--clock", "event", "--store", "memory", "--session-timeout", "6")
    options += ("--ledger", postgres_url, "--policy", str(policy))
    live = {"a": workers("a", *options), "b": workers("b", *options)}
    for worker in live.values():
        worker.wait_ready(120)
    sent = [0]
    producing = threading.Thread(target=kafka.produce, args=(lines, 0.05, sent))
    producing.start()
    try:
        for kill, slot in enumerate(("a", "b", "a")):
            # killed while events stream in: at a quarter, a half, three quarters produced
            share = (kill + 1) * len(lines) // 4
            wait_for(lambda n=share: sent[0] >= n, 300, live[slot].tail())
            live[slot].kill()  # SIGKILL
            live[slot] = workers(f"{slot}{kill}", *options)
            live[slot].wait_ready(120)
        extra = workers("c", *options)  # a rebalance: a third joins, then leaves cleanly
        extra.wait_ready(120)
        extra.stop()
    finally:
        producing.join()
    want = expected_rows(path, policy)
    assert sum(row[0] == "outcome" and row[4] == "breached" for row in want) > 1000
    assert sum(row[0] == "stint" and row[5] == "breached" for row in want) > 100

    def complete() -> bool:
        return sorted(ledger_rows(postgres_url), key=repr) == sorted(want, key=repr)

    with contextlib.suppress(AssertionError):  # the assertions below say what differs
        wait_for(complete, 240)
    got = ledger_rows(postgres_url)
    assert len(got) == len(set(got))  # no row twice
    missing, extra_rows = want - set(got), set(got) - want
    assert not missing and not extra_rows, (sorted(missing)[:5], sorted(extra_rows)[:5])
