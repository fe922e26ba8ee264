"""One history into raw and rule blocks: the sampler, then the recording rules."""

from __future__ import annotations

import math
import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from streams.console.progress import Progress
from streams.core.policy import PolicySet, load_policies
from streams.errors import UserError
from streams.history.prometheus import hard_links
from streams.history.rules import DEFAULT_RULES, RulesAhead, backfill_rules
from streams.history.sampler import BackfillResult, Sampler, sampled_seconds
from streams.history.source import HistoryFile, history_lines

PROGRESS_EVERY = 2000  # events between two progress updates (the update itself is rate-limited)
HOUR = 3600.0


def backfill_events(
    events: Iterable[bytes | dict[str, Any]],
    policies: PolicySet,
    out: str | Path,
    step: float = 60.0,
    show_progress: bool = False,
    total: int | None = None,
    rules: str | Path | None = None,
) -> BackfillResult:
    """Events (JSON lines or dicts, in time order) -> raw and rule blocks in ``out``.

    ``events`` from :func:`history_lines` are read twice: first to count each ticket's
    lines, so that a finished ticket is forgotten after its last one (memory: a counter per
    ticket instead of the ticket), and the event time to sample, for the progress's
    estimate; any other iterable is read once and every ticket kept.

    The progress counts hours of event time sampled, not events: the cost is the samples,
    every series at every step, so a year whose events are in three busy months takes
    most of its time in the nine quiet ones (counted in events, the ServiceNow year's
    estimate said 7 minutes when an hour was left).
    """
    out = Path(out)
    if rules is not None and not Path(rules).is_file():
        print(f"backfill: no recording rules at {rules}; raw series only", file=sys.stderr)
        rules = None
    lines_left = None
    hours: int | None = None
    if isinstance(events, HistoryFile):
        first = events.first_read()
        lines_left = first.lines_left
        hours = max(1, math.ceil(sampled_seconds(first.times) / HOUR))
    try:
        out.mkdir(parents=True, exist_ok=True)
        work = Path(os.fspath(out) + ".work")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    except OSError as exc:
        raise UserError(f"cannot create {out}: {exc.strerror}") from None
    ahead = None
    try:
        if rules is not None and hard_links(out, work):
            ahead = RulesAhead(out, work, Path(rules), step)  # the first pass during the raw one
    except BaseException:  # rules reading each other in a circle: one line, nothing left
        shutil.rmtree(work, ignore_errors=True)
        raise
    progress = None
    if show_progress:
        progress = (
            Progress("backfill", hours, unit="h of history")
            if hours is not None
            else Progress("backfill", total, unit="events")
        )

    def sampled() -> None:  # after each instant: one event may be followed by weeks of them
        assert progress is not None
        progress.update(
            int(sampler.sampled / HOUR),
            f"{sampler.result.events:,} events, {sampler.result.blocks} blocks",
        )

    sampler = Sampler(
        policies, step, out, work, lines_left, ahead.span_made if ahead is not None else None,
        sampled if progress is not None and hours is not None else None,
    )  # fmt: skip
    done = 0
    try:
        for raw in events:
            sampler.feed(raw)
            done += 1
            if progress is not None and hours is None and done % PROGRESS_EVERY == 0:
                progress.update(done, f"{sampler.result.blocks} blocks")
        result = sampler.finish()
    except BaseException:
        sampler.abort()
        if ahead is not None:
            ahead.abort()
        shutil.rmtree(work, ignore_errors=True)
        raise
    if progress is not None:
        progress.done(
            f"{result.events:,} events, {result.samples:,} samples, {result.blocks} blocks"
        )
    try:
        if rules is not None and result.spans:
            result.rule_blocks = backfill_rules(
                out, work, Path(rules), result.spans, result.start or 0.0, result.end or 0.0,
                step, progress, ahead,
            )  # fmt: skip
    finally:
        if ahead is not None:
            ahead.abort()
        shutil.rmtree(work, ignore_errors=True)
    return result


def load_history(path: str, data_dir: str | Path, policy: str | None = None) -> BackfillResult:
    """``stack up --history``: the file's blocks straight into a (stopped) Prometheus's data."""
    print(f"history: backfilling {path} into {data_dir} ...", file=sys.stderr, flush=True)
    return backfill_events(
        history_lines(path), load_policies(policy), data_dir, show_progress=True,
        rules=DEFAULT_RULES,
    )  # fmt: skip
