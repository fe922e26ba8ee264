"""`servicepulse replay` end to end: a JSONL file in, the exposition out (a real subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
from prometheus_client.parser import text_string_to_metric_families

from tests.support import created, event, reply

VIP = {"customer_tier": "vip", "priority": "urgent", "channel": "chat"}


def servicepulse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args], capture_output=True, text=True, timeout=60
    )


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(all_samples: dict, name: str, **labels: str) -> float:
    return all_samples.get((name, frozenset(labels.items())), 0.0)


def write_jsonl(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_replay_writes_the_exposition_with_hand_computed_values(tmp_path: Path) -> None:
    # Built-in default policy: VIP urgent is 24x7 with first response 15m (docs/engine.md).
    events = [
        created("r1", "2026-11-23 09:00", **VIP),
        reply("r1", "2026-11-23 09:05"),  # 300 s: met
        created("r2", "2026-11-23 09:00", **VIP),
        # r2 never answered: breached once the event clock passes 09:15
        event("message.customer", "r3", "2026-11-23 09:40"),  # r3: before its ticket.created
        created("r3", "2026-11-23 09:30", **VIP),
        reply("r3", "2026-11-23 09:50"),  # 20 min > 15 min: breached when it arrives
        event("survey.response", "r1", "2026-11-23 10:00", kind="csat", score=4),
    ]
    lines = [orjson.dumps(e) for e in events]
    lines.insert(2, b"this is not json")
    lines.insert(4, orjson.dumps({**events[0], "event_id": "dup-x"}))  # second created: invalid
    path = write_jsonl(tmp_path / "events.jsonl", lines)
    out = tmp_path / "metrics.prom"

    result = servicepulse("replay", str(path), "--out", str(out))
    assert result.returncode == 0, result.stderr
    got = samples(out.read_text())
    team = {"team": "billing", "channel": "chat", "priority": "urgent", "customer_tier": "vip"}
    sla = {"team": "billing", "priority": "urgent", "customer_tier": "vip"}
    assert value(got, "servicepulse_tickets_created_total", **team) == 3
    assert value(got, "servicepulse_first_response_seconds_count", **team) == 2
    assert value(got, "servicepulse_first_response_seconds_sum", **team) == 300 + 1200
    assert value(got, "servicepulse_first_response_seconds_bucket", le="300.0", **team) == 1
    # outcomes also carry the channel and the matched policy (the built-in vip-urgent)
    fr = {**team, "policy": "vip-urgent", "target": "first_response"}
    assert value(got, "servicepulse_sla_outcomes_total", outcome="met", **fr) == 1
    assert value(got, "servicepulse_sla_outcomes_total", outcome="breached", **fr) == 2
    assert value(got, "servicepulse_events_rejected_total", reason="invalid_json") == 1
    assert value(got, "servicepulse_events_rejected_total", reason="invalid_state") == 1
    assert (
        value(
            got,
            "servicepulse_survey_responses_total",
            team="billing",
            channel="chat",
            kind="csat",
            score="4",
        )
        == 1
    )
    # event clock at the end = 10:00; r2 is the only unanswered open ticket, created 09:00
    assert value(got, "servicepulse_unanswered_tickets", team="billing") == 1
    assert value(got, "servicepulse_oldest_open_ticket_age_seconds", team="billing") == 3600
    assert (
        value(
            got, "servicepulse_sla_breached_open_tickets", team="billing", target="first_response"
        )
        == 1
    )
    assert value(got, "servicepulse_open_tickets", **sla) == 3
    assert "rejected: invalid_json=1, invalid_state=1" in result.stderr


def test_replay_to_stdout(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "e.jsonl", [orjson.dumps(created("t", "2026-11-23 09:00"))])
    result = servicepulse("replay", str(path))
    assert result.returncode == 0
    got = samples(result.stdout)
    assert value(got, "servicepulse_events_processed_total", type="ticket.created") == 1


def test_missing_file_is_one_line_error(tmp_path: Path) -> None:
    result = servicepulse("replay", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "cannot read" in result.stderr and "Traceback" not in result.stderr


def test_bad_policy_is_one_line_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "e.jsonl", [orjson.dumps(created("t", "2026-11-23 09:00"))])
    policy = tmp_path / "p.yaml"
    policy.write_text("policies:\n  - name: x\n    match: {}\n    calendar: nowhere\n")
    result = servicepulse("replay", str(path), "--policy", str(policy))
    assert result.returncode == 2
    assert "nowhere" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_demo_mistakes_are_one_line_errors() -> None:
    for args in (
        ("--port", "70000"),
        ("--speed", "-1"),
        ("--scenario", "outage", "--outage-team", "nobody", "--duration", "1"),
    ):
        result = servicepulse("demo", "--no-board", *args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().count("\n") == 0, result.stderr
