"""Progress on a terminal is a bar with the time left; in a log, a line every few seconds."""

from __future__ import annotations

import io

import pytest

from streams.console import progress as progress_module
from streams.console.progress import Progress, duration


def test_durations_read_as_seconds_minutes_or_hours() -> None:
    assert duration(44.6) == "45s"
    assert duration(725) == "12m05s"
    assert duration(3 * 3600 + 7 * 60 + 20) == "3h07m"


def test_on_a_terminal_the_bar_shows_the_share_and_the_time_left() -> None:
    shown = Progress("backfill", 1000, unit="events", stream=io.StringIO(), interactive=True)
    # 250 of 1,000 events in 10 s: 25 events/s, 750 left at that rate: 30 s
    line = shown.line(250, "3 blocks", now=shown.started + 10)
    assert line.startswith("backfill: [######..................]  25.0% of 1,000 events")
    assert "ETA 30s" in line and "25 events/s" in line and line.endswith("3 blocks")


def test_in_a_log_a_plain_line_comes_at_most_every_ten_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = {"now": 100.0}
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock["now"])
    log = io.StringIO()
    shown = Progress("backfill", 1000, unit="events", stream=log, interactive=False)
    for second in range(1, 26):  # an update every second for 25 s: lines at 10 s and 20 s
        clock["now"] = 100.0 + second
        shown.update(40 * second)
    lines = log.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in log.getvalue()
    # at 10 s: 400 of 1,000 at 40/s, 600 left: 15 s
    assert lines[0] == "backfill: 40.0% of 1,000 events, ETA 15s, 40 events/s"


def test_without_a_total_the_count_and_the_rate_are_shown() -> None:
    shown = Progress("replay", None, unit="bytes", stream=io.StringIO(), interactive=False)
    assert shown.line(5000, now=shown.started + 2) == "replay: 5,000 bytes, 2,500 bytes/s"


def test_what_was_done_before_a_phase_counts_in_the_share_not_in_the_rate() -> None:
    shown = Progress("backfill", 10, unit="events", stream=io.StringIO(), interactive=False)
    # 400 of 1,000 queries evaluated during the raw phase; 100 more in the 10 s since
    shown.phase("backfill: recording rules", 1000, "queries", already=400)
    line = shown.line(500, now=shown.started + 10)
    # 10 queries/s, 500 left: 50 s (counting the 400 in the rate would say 50/s and 10 s)
    assert line == "backfill: recording rules: 50.0% of 1,000 queries, ETA 50s, 10 queries/s"
    # nothing new yet: no estimate rather than an infinite one
    assert "ETA" not in shown.line(400, now=shown.started + 1)
