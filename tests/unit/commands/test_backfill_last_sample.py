"""Backfill's last sample: at the first step at or after the end of input, with replay's counts.

Policy: first response 1h, 24x7; step 1h. On Monday 2026-11-09 (UTC) ticket a is
created at 08:20 (due 09:20) and ticket b at 09:10, the last event. Replay ends with
its clock at 09:10, so a's breach at 09:20 is not counted; backfill samples at 08:00,
09:00 and, last, at 10:00 (09:10 rounded up to the step), with replay's counters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.commands import backfill
from streams.core.engine import Engine
from streams.core.policy import PolicySet
from streams.export.exporter import Exporter
from streams.replay import settle
from tests.support import PolicyFactory, at, created

HOUR = 3600.0


class Recording(backfill.Sampler):
    """A sampler that records, at every sample, (time, tickets created, first responses
    breached) as the exporter holds them then."""

    def __init__(self, policies: PolicySet, tmp: Path) -> None:
        (tmp / "out").mkdir()
        (tmp / "work").mkdir()
        super().__init__(policies, HOUR, tmp / "out", tmp / "work")
        self.seen: list[tuple[float, float, float]] = []

    def _sample(self, t: float, advance: bool = True, full: bool = False) -> None:
        super()._sample(t, advance, full)
        counters = self.exporter.counters
        breached = sum(n for k, n in counters["sla_outcomes"].items() if k[-1] == "breached")
        self.seen.append((t, sum(counters["tickets_created"].values()), breached))


@pytest.fixture
def policies(policy_factory: PolicyFactory) -> PolicySet:
    return policy_factory(first_response="1h")


EVENTS = [created("a", "2026-11-09 08:20"), created("b", "2026-11-09 09:10")]


def test_the_last_sample_is_at_the_step_after_the_last_event_and_holds_every_event(
    tmp_path: Path, policies: PolicySet
) -> None:
    sampler = Recording(policies, tmp_path)
    for raw in EVENTS:
        sampler.feed(raw)
    result = sampler.finish()
    assert [(t, created) for t, created, _ in sampler.seen] == [
        (at("2026-11-09 08:00"), 0),
        (at("2026-11-09 09:00"), 1),
        (at("2026-11-09 10:00"), 2),
    ]
    assert (result.start, result.end) == (at("2026-11-09 08:00"), at("2026-11-09 10:00"))


def test_the_last_sample_counts_no_breach_beyond_the_clock_replay_ends_at(
    tmp_path: Path, policies: PolicySet
) -> None:
    sampler = Recording(policies, tmp_path)
    for raw in EVENTS:
        sampler.feed(raw)
    result = sampler.finish()
    # a's deadline 09:20 lies after replay's last clock 09:10: no sample counts it
    assert [breached for _, _, breached in sampler.seen] == [0, 0, 0]
    exporter = Exporter()
    engine = Engine(policies, exporter)
    for raw in EVENTS:
        engine.ingest(raw, event_clock=True)
    settle(engine)
    assert result.counters["sla_outcomes"] == exporter.counters["sla_outcomes"]
    assert result.counters["tickets_created"] == exporter.counters["tickets_created"]


def test_a_history_ending_on_a_step_is_sampled_last_on_that_step_with_its_last_event(
    tmp_path: Path, policies: PolicySet
) -> None:
    sampler = Recording(policies, tmp_path)
    for raw in (created("a", "2026-11-09 08:20"), created("b", "2026-11-09 09:00")):
        sampler.feed(raw)
    sampler.finish()
    # a sample at t holds every event up to t: b at 09:00 sharp is in the 09:00 sample,
    # the first step at or after the end, taken once
    assert [(t, created) for t, created, _ in sampler.seen] == [
        (at("2026-11-09 08:00"), 0),
        (at("2026-11-09 09:00"), 2),
    ]
