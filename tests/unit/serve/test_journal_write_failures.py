"""A journal write that fails: the request gets the error, nothing is counted, nothing replays.

``serve`` answers ``200`` only once a batch is on disk; when the write or its fsync
fails the waiting requests get the error (``503``), the engine applies nothing and
the half-written bytes are cut off again, so a retry counts the event once and a
restart never replays what was refused. Policy: first response 15m, 24x7; the wall
clock stands at 09:00:02 on 2026-11-23 (UTC).
"""

from __future__ import annotations

import asyncio
import errno
import os
from pathlib import Path

import orjson
import pytest

from streams.ingest_http.bodies import records_of
from streams.journal import Journal, event_line
from streams.serve.store import JournalStore
from tests.support import EngineFactory, at, created

WALL = at("2026-11-23 09:00") + 2


class FullDisk(Journal):
    """A real journal whose next ``failures`` writes fail as a full disk does."""

    def __init__(self, directory: Path, failures: int) -> None:
        super().__init__(directory)
        self.failures = failures

    def write(self, data: bytes) -> None:
        if self.failures:
            self.failures -= 1
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        super().write(data)


def _post_twice(store: JournalStore, event: dict[str, object]) -> list[str]:
    """The same event POSTed twice through the real flusher; each answer's error or 'ok'."""
    answers: list[str] = []

    async def run() -> None:
        flusher = asyncio.create_task(store.run())
        await asyncio.sleep(0)  # the flusher is ready
        for _ in range(2):
            try:
                await store.append(records_of([event]))
                answers.append("ok")
            except OSError as exc:
                answers.append(str(exc))
        flusher.cancel()

    asyncio.run(run())
    return answers


def test_a_batch_refused_by_a_full_disk_is_counted_only_when_it_is_sent_again(
    tmp_path: Path, engine_factory: EngineFactory
) -> None:
    engine, exporter = engine_factory(first_response="15m")
    store = JournalStore(FullDisk(tmp_path, failures=1), engine, exporter, 0.0, lambda: WALL)
    store.recover()
    answers = _post_twice(store, created("t", "2026-11-23 09:00", event_id="t-1"))
    store.journal.close()
    assert answers == ["journal write failed: No space left on device", "ok"]
    counters = exporter.counters
    # the first attempt applied nothing, so the retry is the ticket's first sight: 1, not a
    # duplicate
    assert sum(counters["tickets_created"].values()) == 1
    assert counters["events_duplicate"][()] == 0
    # on disk only the accepted batch: its clock line and its one event
    tags = [tag for tag, _ in Journal(tmp_path).replay(0)]
    assert tags == [b"C", b"E"]


def test_a_write_whose_fsync_fails_is_cut_off_so_a_restart_never_replays_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = event_line(orjson.dumps({"n": 1}))
    refused = event_line(orjson.dumps({"n": 2}))
    journal = Journal(tmp_path)
    journal.open(1)
    journal.write(kept)

    def failing_fsync(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    with monkeypatch.context() as patched:
        patched.setattr(os, "fsync", failing_fsync)
        with pytest.raises(OSError):
            journal.write(refused)  # its bytes reached the file, its fsync failed
    journal.close()
    assert (tmp_path / "journal-000001.log").read_bytes() == kept
    assert [payload for _, payload in Journal(tmp_path).replay(0)] == [b'{"n":1}']
    # the next write appends after the kept line, not after the refused bytes
    again = Journal(tmp_path)
    again.open(1)
    again.write(refused)
    again.close()
    assert (tmp_path / "journal-000001.log").read_bytes() == kept + refused
