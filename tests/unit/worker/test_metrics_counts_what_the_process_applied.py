"""The worker's /metrics counters and histograms: what this process applied since it started.

They are summed from the partitions' tallies when scraped (``tally.ProcessFigures``),
each fact being counted once, in its partition's tally. The reference is ``replay``'s
exporter over the same events (``test_tally.reference``): one process that read them
all shows exactly its figures; two processes one after the other (a restart) show, added
up, exactly its figures too (what ``increase()`` does across the counter reset); a
partition that moves away and comes back changes no figure by itself.
"""

from __future__ import annotations

from streams.worker.state import State
from tests.unit.worker.test_tally import (
    Figures,
    assert_equal,
    flattened,
    messages,
    new_state,
    reference,
    run,
    simulated,
)


def scraped(state: State) -> Figures:
    state.figures.refresh()
    return flattened(state.exporter)


def added(one: Figures, two: Figures) -> Figures:
    counters = dict(one[0])
    for key, value in two[0].items():
        counters[key] = counters.get(key, 0.0) + value
    histograms = dict(one[1])
    for key, (buckets, total, count) in two[1].items():  # type: ignore[misc]
        if key in histograms:
            b, t, c = histograms[key]  # type: ignore[misc]
            buckets = [x + y for x, y in zip(b, buckets, strict=True)]
            total, count = t + total, c + count
        histograms[key] = (buckets, total, count)
    return counters, histograms


def test_one_process_shows_exactly_what_replay_counts_of_the_same_events() -> None:
    events = simulated(hours=6)
    state = new_state()
    run(state, messages(events))

    assert_equal(scraped(state), flattened(reference(events)[0]))


def test_two_processes_one_after_the_other_add_up_to_replay() -> None:
    events = simulated(hours=6)
    stream = messages(events)
    cut = len(stream) // 2
    first = new_state()
    run(first, stream[:cut])
    changelog = list(first.take_touched())

    second = new_state(changelog)  # restarted: takes every partition with its history
    at_start = scraped(second)
    run(second, stream[cut:])

    # the restarted process starts from 0: nothing of the first process's is counted again
    assert all(value == 0.0 for value in at_start[0].values())
    assert all(count == 0 for _, _, count in at_start[1].values())  # type: ignore[misc]
    assert_equal(added(scraped(first), scraped(second)), flattened(reference(events)[0]))


def test_a_partition_moved_away_and_back_changes_no_figure_by_itself() -> None:
    events = simulated(hours=6)
    stream = messages(events)
    cut = len(stream) // 2
    state = new_state()
    run(state, stream[:cut])
    changelog = list(state.take_touched())
    before = scraped(state)
    assert sum(state.partitions[1].tally.counters["tickets_created"].values()) > 0

    state.drop({1})
    after_drop = scraped(state)
    state.install(state.build(_items(changelog), {1}))  # back, as the loader reads it

    # partition 1's figures stay counted once, neither lost nor doubled
    assert_equal(after_drop, before)
    assert_equal(scraped(state), before)
    run(state, stream[cut:])
    assert_equal(scraped(state), flattened(reference(events)[0]))


def _items(changelog: list[tuple[int, bytes, bytes | None]]) -> list[tuple[bytes, bytes | None]]:
    latest: dict[bytes, bytes | None] = {}
    for _, key, value in changelog:
        latest[key] = value
    return list(latest.items())
