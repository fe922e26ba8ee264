"""backfill's errors are one line: no promtool, bad step, unreadable file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", "backfill", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_without_promtool_backfill_says_so_in_one_line(tmp_path: Path) -> None:
    history = tmp_path / "h.jsonl"
    history.write_text("")
    env = {**os.environ, "PATH": str(tmp_path)}  # no promtool there
    result = run([str(history), "--out", str(tmp_path / "blocks")], env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "promtool not found" in result.stderr


def test_a_step_of_no_whole_seconds_is_refused(tmp_path: Path) -> None:
    result = run(["h.jsonl", "--out", str(tmp_path), "--step", "1.5s"])
    assert result.returncode == 2 and "step" in result.stderr


def test_a_missing_history_file_is_one_line(tmp_path: Path) -> None:
    result = run([str(tmp_path / "absent.jsonl"), "--out", str(tmp_path / "b"), "--no-rules"])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "cannot read" in result.stderr


# ---- hostile histories: bounded reads, outliers, quiet stretches, the same counts as replay ----

import resource  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import orjson  # noqa: E402
import pytest  # noqa: E402

from streams.commands import backfill  # noqa: E402
from streams.core.engine import Engine  # noqa: E402
from streams.core.policy import load_policies, parse_policy  # noqa: E402
from streams.export.exporter import Exporter  # noqa: E402
from streams.replay import run_file, settle  # noqa: E402

POLICY = {
    "policies": [
        {"name": "p", "calendar": "always", "targets": {"first_response": "1h", "resolution": "8h"}}
    ]
}
DAY = 86400.0
T0 = 1_794_182_400.0  # Monday 2026-11-09 00:00 UTC, a multiple of a day, an hour and 18 h


def stamp(t: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).isoformat()


def event(kind: str, ticket: str, t: float, n: int, **fields: Any) -> bytes:
    data = {"event_id": f"{ticket}-{n}", "type": kind, "ticket_id": ticket, "ts": stamp(t)}
    if kind == "ticket.created":
        data |= {"team": "billing", "channel": "email", "priority": "normal", "customer_id": "c"}
    return orjson.dumps({**data, **fields})


def limited(memory: int) -> Any:
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return preexec


def test_an_endless_line_is_one_line_error_in_bounded_memory(tmp_path: Path) -> None:
    # 1 GiB of address space: the old whole-line read of /dev/zero died with a MemoryError
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "streams.cli",
            "backfill",
            "/dev/zero",
            "--no-rules",
            "--out",
            str(tmp_path / "b"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limited(1 << 30),
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "longer than 16 MiB" in result.stderr


def test_a_70_mb_line_is_one_line_error(tmp_path: Path) -> None:
    history = tmp_path / "h.jsonl"
    with open(history, "wb") as out:
        out.write(event("ticket.created", "a", T0, 1) + b"\n")
        out.write(b'{"x": "' + b"y" * (70 << 20) + b'"}\n')
    result = run([str(history), "--out", str(tmp_path / "b"), "--no-rules"])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "longer than 16 MiB" in result.stderr


def busy_day(start: float, prefix: str) -> Iterator[bytes]:
    """Four tickets, one every 2 h from ``start``: each answered after 30 min, solved."""
    for i in range(4):
        t = start + i * 7200
        yield event("ticket.created", f"{prefix}{i}", t, 1)
        yield event("message.agent", f"{prefix}{i}", t + 1800, 2, agent_id="ann")
        yield event("ticket.resolved", f"{prefix}{i}", t + 3600, 3)


def write_history(path: Path, lines: Iterator[bytes] | list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def blocks(directory: Path) -> int:
    return sum(1 for p in directory.iterdir() if (p / "meta.json").exists())


def test_a_stray_1970_line_costs_one_sample_not_decades(tmp_path: Path) -> None:
    lines = [event("ticket.created", "stray", 0.0, 1), *busy_day(T0 + 9 * 3600, "t")]
    history = write_history(tmp_path / "h.jsonl", lines)
    result = run([str(history), "--out", str(tmp_path / "b"), "--no-rules", "--step", "1h"])
    assert result.returncode == 0, result.stderr
    # one block for 1970 (its one sample), one for the day: not 27,000
    assert blocks(tmp_path / "b") == 2
    # the clock crosses to 2026 when a second ticket confirms the time (docs/engine.md);
    # sampling goes on from the first of the waiting events, t0's creation at 09:00
    assert "no events from 1970-01-01 01:00 to 2026-11-09 09:00 UTC" in result.stderr
    assert "not sampled" in result.stderr


def test_two_lines_dated_2099_cost_one_sample_not_decades(tmp_path: Path) -> None:
    lines = [
        *busy_day(T0 + 9 * 3600, "t"),
        event("ticket.created", "late1", 4_102_000_000.0, 1),  # 2099-12-26 20:26
        event("ticket.created", "late2", 4_102_000_060.0, 1),  # a second ticket confirms it
    ]
    history = write_history(tmp_path / "h.jsonl", lines)
    result = run([str(history), "--out", str(tmp_path / "b"), "--no-rules", "--step", "1h"])
    assert result.returncode == 0, result.stderr
    assert blocks(tmp_path / "b") == 2
    assert "no events from 2026-11-09 17:00 to 2099-12-26 20:00 UTC" in result.stderr
    assert "not sampled" in result.stderr


class Recording(backfill.Sampler):
    """A sampler that records, at every sample, how many tickets were created by then."""

    def __init__(self, out: Path) -> None:
        out.mkdir()
        work = out.parent / "work"
        work.mkdir()
        super().__init__(parse_policy(POLICY), 3600.0, out, work)
        self.seen: list[tuple[float, float]] = []

    def _sample(self, t: float, advance: bool = True, full: bool = False) -> None:
        super()._sample(t, advance, full)
        created = sum(self.exporter.counters["tickets_created"].values())
        self.seen.append((t, created))


def test_a_quiet_fortnight_is_sampled_through_and_each_sample_holds_only_the_past(
    tmp_path: Path,
) -> None:
    sampler = Recording(tmp_path / "b")
    later = T0 + 14 * DAY + 9 * 3600
    # after the fortnight a second ticket at once confirms the time (the engine believes an
    # event more than a day ahead only then): x, created with b0
    second = [*busy_day(later, "b")]
    second.insert(1, event("ticket.created", "x", later, 1))
    for line in [*busy_day(T0 + 9 * 3600, "a"), *second]:
        sampler.feed(line)
    sampler.finish()
    times = [t for t, _ in sampler.seen]
    assert times == [T0 + 9 * 3600 + 3600 * i for i in range(len(times))]  # no hole
    assert times[-1] == T0 + 14 * DAY + 9 * 3600 + 3 * 7200 + 3600  # the last resolution
    for t, created in sampler.seen:  # 4 tickets the first day, 5 more a fortnight later
        expected = sum(1 for i in range(4) for day in (0, 14) if T0 + day * DAY + 9 * 3600
                       + i * 7200 <= t) + (t >= later)  # fmt: skip
        assert created == expected, stamp(t)
    assert sampler.seen[-1][1] == 9


def reopened_after_a_quiet_week() -> list[bytes]:
    """Ticket r solved on day 0, quiet 9 days, reopened, solved again, closed; tickets on
    most days around it; one event for a ticket never created (held, then no_ticket)."""
    lines = [
        event("ticket.created", "r", T0 + 3600, 1),
        event("message.agent", "r", T0 + 5400, 2, agent_id="ann"),
        event("ticket.resolved", "r", T0 + 7200, 3),
    ]
    for day in range(1, 12):
        lines += busy_day(T0 + day * DAY + 9 * 3600, f"d{day}-")
        if day == 9:
            lines.append(event("ticket.reopened", "r", T0 + 9 * DAY + 20 * 3600, 4))
            lines.append(event("message.agent", "r", T0 + 9 * DAY + 21 * 3600, 5, agent_id="ann"))
            lines.append(event("ticket.resolved", "r", T0 + 9 * DAY + 22 * 3600, 6))
        if day == 10:
            lines.append(event("ticket.closed", "r", T0 + 10 * DAY + 20 * 3600, 7))
            lines.append(event("message.customer", "ghost", T0 + 10 * DAY + 21 * 3600, 1))
    return lines


def replay_counters(path: Path) -> dict[str, dict[tuple[str, ...], float]]:
    exporter = Exporter()
    engine = Engine(parse_policy(POLICY), exporter)
    with open(path, "rb") as stream:
        run_file(stream, engine)
    settle(engine)
    return {name: dict(series) for name, series in exporter.counters.items()}


def test_a_ticket_reopened_after_a_quiet_week_counts_as_in_replay(tmp_path: Path) -> None:
    history = write_history(tmp_path / "h.jsonl", reopened_after_a_quiet_week())
    result = backfill.backfill_events(
        backfill.history_lines(history), parse_policy(POLICY), tmp_path / "b", 3600.0, rules=None
    )
    expected = replay_counters(history)
    assert result.counters == expected
    # by hand: 1 + 44 tickets, r reopened once and solved twice, the ghost's event refused
    assert sum(expected["tickets_created"].values()) == 45
    assert sum(expected["tickets_reopened"].values()) == 1
    assert sum(expected["tickets_resolved"].values()) == 46
    assert result.reasons == {"no_ticket": 1} and result.rejected == 1
    assert result.forgotten == 45  # every solved ticket, once its last line was in


def test_the_summary_says_what_was_rejected(tmp_path: Path) -> None:
    history = write_history(tmp_path / "h.jsonl", reopened_after_a_quiet_week())
    policy = tmp_path / "p.yaml"
    policy.write_text(orjson.dumps(POLICY).decode())  # JSON is YAML
    result = run([str(history), "--policy", str(policy), "--out", str(tmp_path / "b"),
                  "--no-rules", "--step", "1h"])  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = len(reopened_after_a_quiet_week())
    assert f"{lines} events: {lines - 1} processed, 0 duplicates, 1 rejected (no_ticket=1)" in (
        result.stderr
    )


@pytest.mark.parametrize("keep", [False, True])
def test_backfill_of_the_same_events_from_a_generator_counts_as_in_replay(
    tmp_path: Path, keep: bool
) -> None:
    history = write_history(tmp_path / "h.jsonl", reopened_after_a_quiet_week())
    events = iter(reopened_after_a_quiet_week()) if keep else backfill.history_lines(history)
    result = backfill.backfill_events(
        events, load_policies(None), tmp_path / "b", 3600.0, rules=None
    )
    exporter = Exporter()
    engine = Engine(load_policies(None), exporter)
    with open(history, "rb") as stream:
        run_file(stream, engine)
    settle(engine)
    assert result.counters == {name: dict(s) for name, s in exporter.counters.items()}
    assert result.forgotten == (0 if keep else 45)


# ---- the progress counts event time sampled, not events -------------------------------------


def test_the_time_to_sample_leaves_out_stretches_longer_than_a_month() -> None:
    from streams.history.sampler import sampled_seconds

    # a stray 1970 line, 2 h of a day in any order, a line 100 days later: 2 h in all
    times = [T0 + 3600, T0, T0 + 100 * DAY, T0 + 7200, 0.0]
    assert sampled_seconds(times) == 7200.0
    assert sampled_seconds([T0, T0 + 31 * DAY]) == 31 * DAY  # a month is sampled through
    assert sampled_seconds([]) == 0.0 and sampled_seconds([T0]) == 0.0


def test_the_first_read_counts_lines_per_ticket_and_keeps_every_valid_time(
    tmp_path: Path,
) -> None:
    from streams.history.source import history_lines

    lines = [
        event("ticket.created", "a", T0, 1),
        b"not json",
        event("message.agent", "a", T0 + 60, 2, agent_id="ann"),
        orjson.dumps({"type": "ticket.created", "ticket_id": "b", "ts": "yesterday"}),
        event("ticket.created", "b", T0 + 120, 3),
    ]
    first = history_lines(write_history(tmp_path / "h.jsonl", lines)).first_read()
    assert first.lines == 5
    assert sorted(first.lines_left.values()) == [2, 2]  # a: 2 lines, b: 2 (one without a time)
    assert list(first.times) == [T0, T0 + 60, T0 + 120]


def test_the_progress_of_a_busy_day_and_a_quiet_week_counts_hours_not_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from streams.console import progress
    from streams.history import backfill as history_backfill

    monkeypatch.setattr(progress, "LINE_EVERY", 0.0)  # a line at every update
    later = T0 + 10 * DAY
    lines = [
        *busy_day(T0 + 9 * 3600, "t"),  # 12 events from 09:00 to 16:00
        event("ticket.created", "x", later, 1),  # 10 days later, two tickets confirm the time
        event("ticket.created", "y", later + 60, 1),
    ]
    history = write_history(tmp_path / "h.jsonl", lines)
    history_backfill.backfill_events(
        history_backfill.history_lines(history), parse_policy(POLICY), tmp_path / "b",
        step=3600.0, show_progress=True, rules=None,
    )  # fmt: skip
    shown = [line for line in capsys.readouterr().err.splitlines() if "% of" in line]
    # from the first event (day 0, 09:00) to the last (day 10, 00:01): 231 h 1 min -> 232 h
    assert shown and all(" of 232 h of history, " in line for line in shown)
    shares = [float(line.split(": ")[1].split("%")[0]) for line in shown]
    # a line after every hour sampled, the ten quiet days included (sampled hour by hour
    # once y confirms the jump: inside one event's ingestion); counted in events, the 10
    # days would be 2 of 14 events and one line; the last hour (day 10, 00:00) is the final
    # sample, after which the line says done
    assert shares == [round(100 * hours / 232, 1) for hours in range(231)]
    # 16:00 on day 0 to 23:00 on day 9, 224 hours, are sampled while y, the 14th event, is
    # ingested: a line for each, not one line for the ten days
    assert sum(1 for line in shown if " 14 events, " in line) == 224
