"""A restart adopts the snapshot one record at a time: it never holds the snapshot whole.

Reading the snapshot whole took serve from 325 MiB running to 631 MiB after a restart at
a million events. Here each record must be adopted (its ticket in the engine) before the
next line of the snapshot file is read, and the file is read line by line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streams.core.engine import Engine
from streams.core.policy import DEFAULT_POLICY_SET
from streams.export.exporter import Exporter
from streams.journal import Journal
from streams.serve.state import capture
from streams.serve.store import JournalStore
from tests.support import at, created

TICKETS = 50


def _snapshot(directory: Path) -> None:
    exporter = Exporter()
    engine = Engine(DEFAULT_POLICY_SET, exporter)
    for n in range(TICKETS):
        engine.ingest(created(f"t{n}", "2026-11-23 09:00"))
    journal = Journal(directory)
    journal.open(0)
    journal.compact(*capture(engine, exporter))
    journal.close()


def test_each_snapshot_record_is_adopted_before_the_next_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _snapshot(tmp_path)
    exporter = Exporter()
    engine = Engine(DEFAULT_POLICY_SET, exporter)
    journal = Journal(tmp_path)
    store = JournalStore(journal, engine, exporter, 60.0, lambda: at("2026-11-23 09:30"))
    read = journal.snapshot_records
    tickets_seen: list[int] = []  # tickets in the engine as each record is handed over
    line_reads: list[int] = []

    def watched() -> Iterator[dict[str, Any]]:
        for record in read():
            tickets_seen.append(len(engine.tickets))
            yield record

    real_open = open

    class CountingFile:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> CountingFile:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def readline(self) -> bytes:
            line_reads.append(len(engine.tickets))
            return bytes(self.handle.readline())

        def __iter__(self) -> Iterator[bytes]:
            for line in self.handle:
                line_reads.append(len(engine.tickets))
                yield line

        def read(self, *args: Any) -> bytes:  # reading the rest whole
            raise AssertionError("the snapshot was read whole")

    def counting_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(path, mode, *args, **kwargs)
        return CountingFile(handle) if str(path).endswith("snapshot.json") else handle

    monkeypatch.setattr(journal, "snapshot_records", watched)
    monkeypatch.setattr("streams.journal.open", counting_open, raising=False)
    store.recover()
    journal.close()
    assert len(engine.tickets) == TICKETS
    # the header, then one record per ticket: the k-th ticket record (k from 1) is handed
    # over with k - 1 tickets adopted
    assert tickets_seen[: TICKETS + 1] == [0, *range(TICKETS)]
    # the line of the k-th ticket is read once the ticket before it was adopted
    assert line_reads[1 : TICKETS + 1] == list(range(TICKETS))
