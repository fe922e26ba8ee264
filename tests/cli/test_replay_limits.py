"""Replay settles at end of file and survives hostile files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
from prometheus_client.parser import text_string_to_metric_families

from tests.support import created, event, reply

VIP = {"customer_tier": "vip", "priority": "urgent", "channel": "chat"}  # 24x7, 15 min


def servicepulse(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def value(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def test_replay_rejects_what_is_still_held_at_the_end_and_accounts_for_every_line(
    tmp_path: Path,
) -> None:
    lines = [
        created("a", "2026-11-23 09:00", **VIP),
        reply("ghost", "2026-11-23 09:01"),  # its ticket.created never comes
        event("message.customer", "ghost", "2026-11-23 09:02"),
        created("b", "2026-11-23 09:20", **VIP),  # a is past 15 min: breached at 09:20
        created("b", "2026-11-23 09:20", **VIP),  # a second created for b: invalid_state
    ]
    lines.append(lines[0])  # a repeat: duplicate
    path = tmp_path / "e.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(e) for e in lines) + b"\nnot json\n\n")
    result = servicepulse("replay", str(path))
    assert result.returncode == 0, result.stderr
    assert value(result.stdout, "servicepulse_events_rejected_total", reason="no_ticket") == 2
    assert value(result.stdout, "servicepulse_orphan_events") == 0
    assert (
        value(
            result.stdout,
            "servicepulse_sla_outcomes_total",
            target="first_response",
            outcome="breached",
        )
        == 1
    )
    assert result.stderr.strip() == (
        "servicepulse: 7 lines: 2 processed, 1 duplicates, 0 held, "
        "rejected: invalid_json=1, invalid_state=1, no_ticket=2"
    )


def test_the_last_tickets_breaches_are_counted_at_the_final_event_clock(tmp_path: Path) -> None:
    lines = [created("a", "2026-11-23 09:00", **VIP), created("b", "2026-11-23 09:30", **VIP)]
    path = tmp_path / "e.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(e) for e in lines) + b"\n")
    result = servicepulse("replay", str(path))
    # a: 15 min first response passed at 09:15 < 09:30; b's deadline 09:45 is after the end
    assert value(result.stdout, "servicepulse_sla_outcomes_total", outcome="breached") == 1


def test_an_overlong_line_is_rejected_too_large_and_its_neighbours_are_counted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(
        orjson.dumps(created("a", "2026-11-23 09:00"))
        + b"\n"
        + b"x" * (3 * 1024 * 1024)
        + b"\n"
        + orjson.dumps(reply("a", "2026-11-23 09:05"))
        + b"\n"
    )
    result = servicepulse("replay", str(path))
    assert result.returncode == 0
    assert "3 lines: 2 processed, 0 duplicates, 0 held, rejected: too_large=1" in result.stderr


def test_replay_of_an_endless_line_is_a_one_line_error() -> None:
    result = servicepulse("replay", "/dev/zero", timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "longer than 16 MiB" in result.stderr


def test_replay_with_an_endless_policy_file_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(b"")
    result = servicepulse("replay", str(path), "--policy", "/dev/zero")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "larger than 1024 KiB" in result.stderr


def test_replay_survives_timestamps_in_year_1_and_9999(tmp_path: Path) -> None:
    bad1 = {**reply("a", "2026-11-23 09:01"), "ts": "0001-01-01T00:00:00+00:00"}
    bad2 = {**created("z", "2026-11-23 09:01"), "ts": "9999-12-31T23:59:59+00:00"}
    lines = [created("a", "2026-11-23 09:00"), bad1, bad2, reply("a", "2026-11-23 09:05")]
    path = tmp_path / "e.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(e) for e in lines) + b"\n")
    result = servicepulse("replay", str(path))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "4 lines: 2 processed, 0 duplicates, 0 held, rejected: bad_timestamp=2" in result.stderr
