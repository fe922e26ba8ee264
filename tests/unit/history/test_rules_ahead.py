"""The first pass's batch still running when the raw phase ends is reported, not silent."""

from __future__ import annotations

import threading
from pathlib import Path

from streams.history.rules import DEFAULT_RULES, RulesAhead


class HeldBatch(RulesAhead):
    """A first pass whose last batch (three rules) is held after its first rule until the
    caller has reported once; ``finish`` is the real one."""

    def __init__(self, out: Path, work: Path) -> None:
        self.release = threading.Event()
        super().__init__(out, work, DEFAULT_RULES, 60.0)

    def _run(self) -> None:
        self._count("2026-11-09 00:00")
        self.release.wait(60)
        self._count("2026-11-09 00:00")
        self._count("2026-11-09 00:00")


def test_finish_reports_the_rules_done_while_the_last_batch_ends(tmp_path: Path) -> None:
    out, work = tmp_path / "out", tmp_path / "work"
    out.mkdir()
    work.mkdir()
    ahead = HeldBatch(out, work)
    seen: list[int] = []

    def waiting(queries: int) -> None:
        seen.append(queries)
        ahead.release.set()

    ahead.finish(waiting)
    # reported while the batch was held (0 or 1 rule done), then all three once it ended
    assert seen[0] <= 1 and seen[-1] == 3 and seen == sorted(seen)
    assert ahead.queries == 3
