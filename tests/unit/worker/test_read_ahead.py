"""Reading ahead at start-up: what was built is installed only if the changelog did not move.

The reads are stand-ins holding records a real state wrote (``State.take_touched``), so
the changelog's contents are known; ``read_changelog`` itself runs on a real Kafka in
tests/integration/test_worker_restart.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from streams.worker.ahead import ReadAhead
from streams.worker.recovery import Flushes, Reading
from streams.worker.state import State
from tests.unit.worker.test_changelog import Message, new_state


def written(state: State) -> Flushes:
    """A changelog of what ``state`` has to write, as read back."""
    flushes = Flushes()
    for partition, key, value in state.take_touched():
        flushes.add(partition, key, value)
    return flushes


class Changelog:
    """``read_changelog`` over a log whose end the test moves."""

    def __init__(self, flushes: Flushes, ends: dict[int, int]) -> None:
        self.flushes, self.ends = flushes, ends
        self.reads: list[Reading | None] = []

    async def read(self, partitions: set[int], since: Reading | None) -> Reading:
        self.reads.append(since)
        flushes = self.flushes if since is None else since.flushes
        return Reading(flushes, {p: self.ends[p] for p in partitions})


def ahead_of(changelog: Changelog, tmp_path: Path, owned: set[int]) -> tuple[State, ReadAhead]:
    state = new_state()
    state.drop({0, 1})  # a worker that has just started: nothing loaded
    ahead = ReadAhead(state, changelog.read, tmp_path / "partitions.json")
    ahead.remember(owned)  # the last run's assignment
    return state, ahead


def test_the_partitions_read_ahead_are_installed_when_nothing_was_written_since(
    tmp_path: Path,
) -> None:
    writer = new_state()
    writer.process([Message(0, 0, "A"), Message(0, 1, "B"), Message(1, 0, "C")], 0.0)
    changelog = Changelog(written(writer), {0: 4, 1: 2})

    async def run() -> None:
        state, ahead = ahead_of(changelog, tmp_path, {0, 1})
        ahead.start(asyncio.get_running_loop())
        assert await ahead.take({0}) == 2  # A and B; partition 1 was not assigned
        assert set(state.partitions) == {0}
        assert sorted(state.tickets) == ["A", "B"]
        assert state.offsets.last_offset == {0: 1}  # from partition 0's clock record
        assert changelog.reads[1] is not None  # the check read on from the first read

    asyncio.run(run())


def test_partitions_written_after_the_read_ahead_are_read_on_from_it_not_installed(
    tmp_path: Path,
) -> None:
    writer = new_state()
    writer.process([Message(0, 0, "A")], 0.0)
    changelog = Changelog(written(writer), {0: 3, 1: 1})

    async def run() -> None:
        state, ahead = ahead_of(changelog, tmp_path, {0, 1})
        ahead.start(asyncio.get_running_loop())
        await asyncio.sleep(0)  # the read ahead ends ...
        changelog.ends = {0: 5, 1: 1}  # ... then another worker writes partition 0
        assert await ahead.take({0, 1}) is None
        assert state.partitions == {}  # nothing installed
        resumed = ahead.reading({0, 1})
        assert resumed is not None and resumed.ends == {0: 5, 1: 1}
        assert ahead.reading({0, 1}) is None  # once

    asyncio.run(run())


def test_without_a_last_assignment_nothing_is_read_ahead(tmp_path: Path) -> None:
    changelog = Changelog(Flushes(), {0: 0})

    async def run() -> None:
        state = new_state()
        ahead = ReadAhead(state, changelog.read, tmp_path / "partitions.json")
        ahead.start(asyncio.get_running_loop())
        assert await ahead.take({0}) is None
        assert changelog.reads == []

    asyncio.run(run())
