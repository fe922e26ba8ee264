"""A compaction that fails (a full disk) leaves no tmp file and is not retried every batch."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from streams.export.exporter import Exporter
from streams.ingest_http.bodies import records_of
from streams.journal import Journal
from streams.serve.store import JournalStore
from tests.support import at, created

POLICY: dict[str, Any] = {"policies": [{"name": "p", "match": {}, "calendar": "always",
                                        "targets": {"first_response": "15m"}}]}  # fmt: skip


def test_a_failed_compaction_is_tried_again_only_after_a_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exporter = Exporter()
    journal = Journal(tmp_path, segment_bytes=1)  # every batch makes a compaction due
    store = JournalStore(journal, Engine(parse_policy(POLICY), exporter), exporter,
                         wall=lambda: at("2026-11-23 09:30"))  # fmt: skip
    store.recover()
    (tmp_path / "snapshot.json").mkdir()  # the rename onto it fails
    tries: list[int] = []
    compact = journal.compact

    def counted(*args: Any) -> None:
        tries.append(1)
        compact(*args)

    monkeypatch.setattr(journal, "compact", counted)

    async def run() -> None:
        flusher = asyncio.create_task(store.run())
        await asyncio.sleep(0)
        for n in range(3):
            await store.append(records_of([created(f"t{n}", "2026-11-23 09:00")]))
        flusher.cancel()

    asyncio.run(run())
    assert len(tries) == 1  # three due batches, one try: the next in 60 s
    assert not (tmp_path / "snapshot.json.tmp").exists()
    assert sum(exporter.counters["tickets_created"].values()) == 3  # acknowledged all the same
    journal.close()
