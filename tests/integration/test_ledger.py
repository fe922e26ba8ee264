"""The ledger end to end: ``replay --ledger`` then ``servicepulse outcomes``; its counts
against replay's own counters (a simulated history, and the real ServiceNow log of
../shared/datasets when it is there); ``serve`` writing it and answering the read endpoints."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from streams.core.policy import parse_policy
from streams.ledger.sink import Ledger
from streams.ledger.store import open_store
from streams.replay import replay
from streams.simulator import ContactCentre, SimConfig
from tests.datasets import SERVICENOW, SERVICENOW_POLICY, servicenow_events
from tests.processes import Processes
from tests.serve_process import ServeProcess, parse_samples
from tests.support import at, created, event, reply

VIP = {"customer_tier": "vip", "priority": "urgent", "channel": "chat"}  # 15m / 30m / 4h, 24x7
READ_TOKEN = "read-token-0123456789abc"
POLICY = """\
calendars:
  business-hours: {timezone: UTC, days: [mon, tue, wed, thu, fri], hours: ["09:00", "18:00"]}
policies:
  - name: vip-urgent
    match: {customer_tier: vip, priority: urgent}
    targets: {first_response: 15m, next_reply: 30m, resolution: 4h}
  - name: default
    match: {}
    calendar: business-hours
    targets: {first_response: 1h, next_reply: 4h, resolution: 1d}
ola: {default: 2h, teams: {technical: 4h}}
"""


def servicepulse(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done


def write_jsonl(path: Path, events: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def test_replay_then_outcomes_lists_exactly_the_breached_tickets(tmp_path: Path) -> None:
    history = [
        created("a1", "2026-11-23 09:00", **VIP),
        reply("a1", "2026-11-23 09:10"),  # first response met
        event("ticket.resolved", "a1", "2026-11-23 10:00"),  # resolution met
        created("a2", "2026-11-23 09:00", **VIP),
        reply("a2", "2026-11-23 09:20", agent_id="bo"),  # first response 5 min late
        event("ticket.resolved", "a2", "2026-11-23 09:30"),  # resolution met
        created("a3", "2026-11-23 09:00", **VIP),
        reply("a3", "2026-11-23 09:05"),
        event("message.customer", "a3", "2026-11-23 09:10"),
        reply("a3", "2026-11-23 09:50"),  # next reply due 09:40: 10 min late
        event("ticket.resolved", "a3", "2026-11-23 10:00"),  # resolution met
        created("a4", "2026-11-23 09:00", **VIP),  # never answered: due 09:15 and 13:00
        created("a5", "2026-11-23 10:00", **VIP),
        event("contact.abandoned", "a5", "2026-11-23 10:05"),  # no outcome
        event("ticket.closed", "a1", "2026-11-23 14:00"),  # the event clock reaches 14:00
    ]
    path = write_jsonl(tmp_path / "events.jsonl", history)
    ledger = tmp_path / "ledger.sqlite3"
    servicepulse("replay", str(path), "--ledger", str(ledger), "--out", str(tmp_path / "m.prom"))

    done = servicepulse("outcomes", "--ledger", str(ledger), "--outcome", "breached")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    # in the order they became known: both first responses at 09:15 (by ticket id), the
    # next reply at 09:40, a4's resolution at 13:00
    assert [(r["ticket_id"], r["target"], r["deadline"]) for r in rows] == [
        ("a2", "first_response", "2026-11-23T09:15:00Z"),
        ("a4", "first_response", "2026-11-23T09:15:00Z"),
        ("a3", "next_reply", "2026-11-23T09:40:00Z"),
        ("a4", "resolution", "2026-11-23T13:00:00Z"),
    ]
    assert [(r["stopped"], r["late"], r["agent"]) for r in rows[:1] + rows[2:3]] == [
        ("2026-11-23T09:20:00Z", "300", "bo"),
        ("2026-11-23T09:50:00Z", "600", "a1"),
    ]
    assert {r["stopped"] for r in (rows[1], rows[3])} == {""}  # a4: still running
    met = servicepulse("outcomes", "--ledger", str(ledger), "--outcome", "met")
    met_rows = list(csv.DictReader(io.StringIO(met.stdout)))
    assert sorted((r["ticket_id"], r["target"]) for r in met_rows) == [
        ("a1", "first_response"), ("a1", "resolution"), ("a2", "resolution"),
        ("a3", "first_response"), ("a3", "resolution"),
    ]  # fmt: skip


def simulated_history(path: Path, days: float = 2.0) -> Path:
    start = at("2026-11-23 00:00")
    config = SimConfig(seed=7, arrivals_per_hour=40.0)
    events = ContactCentre(config, start).events(start + days * 86400)
    with path.open("w") as out:
        for item in events:
            out.write(json.dumps(item) + "\n")
    return path


def counter_by(exposition: str, name: str, labels: tuple[str, ...]) -> Counter[tuple[str, ...]]:
    """A counter's samples summed by ``labels``, zeros left out."""
    result: Counter[tuple[str, ...]] = Counter()
    for (sample, series), value in parse_samples(exposition).items():
        if sample == name and value:
            found = dict(series)
            result[tuple(found[label] for label in labels)] += int(value)
    return result


def ledger_by(ledger: Path, kind: str, columns: tuple[str, ...]) -> Counter[tuple[str, ...]]:
    done = servicepulse("outcomes", "--ledger", str(ledger), "--kind", kind, "--format", "json")
    return Counter(tuple(str(row[c]) for c in columns) for row in json.loads(done.stdout))


def test_the_ledger_counts_what_the_counters_count_on_a_simulated_history(
    tmp_path: Path,
) -> None:
    path = simulated_history(tmp_path / "history.jsonl")
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    ledger = tmp_path / "ledger.sqlite3"
    out = tmp_path / "metrics.prom"
    servicepulse("replay", str(path), "--policy", str(policy), "--ledger", str(ledger),
                 "--out", str(out))  # fmt: skip
    exposition = out.read_text()

    outcomes = counter_by(
        exposition, "servicepulse_sla_outcomes_total", ("team", "target", "outcome")
    )
    assert sum(outcomes.values()) > 500  # a history worth the name
    assert ledger_by(ledger, "outcome", ("team", "target", "outcome")) == outcomes

    ola = counter_by(exposition, "servicepulse_ola_outcomes_total", ("team", "outcome"))
    stints = ledger_by(ledger, "stint", ("team", "outcome"))
    assert +Counter({k: n for k, n in stints.items() if k[1]}) == ola
    surveys = counter_by(
        exposition, "servicepulse_survey_responses_total", ("team", "kind", "score")
    )
    assert sum(surveys.values()) > 0
    assert ledger_by(ledger, "survey", ("team", "kind", "score")) == surveys


def test_serve_writes_the_ledger_once_across_a_sigkill_and_answers_reads(
    processes: Processes, tmp_path: Path
) -> None:
    now = time.time()
    hour_ago = now - 3600

    def stamp(offset: float) -> str:
        return datetime.fromtimestamp(hour_ago + offset, UTC).isoformat()

    events = [
        {**created("s1", hour_ago, **VIP), "ts": stamp(0)},
        {**reply("s1", hour_ago + 60, agent_id="ana"), "ts": stamp(60)},  # met
        {**created("s2", hour_ago, **VIP), "ts": stamp(0)},  # breached 15 min in
    ]
    data = tmp_path / "data"
    serve = ServeProcess(processes, data, "--read-token", READ_TOKEN, grace=0.0).start()
    body = "".join(json.dumps(e) + "\n" for e in events).encode()
    answer = serve.post("/v1/events", body, **{"Content-Type": "application/x-ndjson"})
    assert answer.status_code == 200, answer.text
    read = {"Authorization": f"Bearer {READ_TOKEN}"}

    def outcomes() -> list[tuple[str, str]]:
        got = requests.get(f"{serve.url}/v1/outcomes", headers=read, timeout=10)
        assert got.status_code == 200, got.text
        return [(r["ticket_id"], r["outcome"]) for r in got.json()]

    deadline = time.monotonic() + 10
    while outcomes() != [("s1", "met"), ("s2", "breached")] and time.monotonic() < deadline:
        time.sleep(0.2)  # the breach is counted on serve's next tick
    assert outcomes() == [("s1", "met"), ("s2", "breached")]
    assert requests.get(f"{serve.url}/v1/outcomes", timeout=10).status_code == 401

    serve.kill()  # the journal is replayed at start: the same records, upserted
    serve.start()
    assert outcomes() == [("s1", "met"), ("s2", "breached")]
    journey = requests.get(f"{serve.url}/v1/tickets/s2", headers=read, timeout=10).json()
    assert journey["live"]["state"] == "open"
    assert [c["target"] for c in journey["live"]["clocks"]] == ["first_response", "resolution"]
    assert [(r["target"], r["outcome"]) for r in journey["outcomes"]] == [
        ("first_response", "breached")
    ]
    serve.stop()  # SIGTERM: the ledger is closed; the command line reads the same rows
    done = servicepulse("outcomes", "--data-dir", str(data), "--outcome", "breached")
    assert [line.split(",")[:2] for line in done.stdout.splitlines()] == [
        ["ticket_id", "target"],
        ["s2", "first_response"],
    ]


@pytest.mark.skipif(not SERVICENOW.is_dir(), reason="the ServiceNow event log is not here")
def test_the_ledger_counts_what_the_counters_count_on_the_real_servicenow_log(
    tmp_path: Path,
) -> None:
    lines, _ = servicenow_events(SERVICENOW / "incident_event_log.csv")
    history = tmp_path / "servicenow.jsonl"
    history.write_bytes(b"".join(line + b"\n" for line in lines))
    policies = parse_policy({**SERVICENOW_POLICY, "ola": {"default": "8h"}})
    path = tmp_path / "ledger.sqlite3"
    result = replay(history, policies, ledger=Ledger(open_store(str(path))))
    exposition = result.exposition.decode()

    outcomes = counter_by(
        exposition, "servicepulse_sla_outcomes_total", ("team", "target", "outcome")
    )
    assert sum(outcomes.values()) > 24_918  # at least one outcome per incident
    assert ledger_by(path, "outcome", ("team", "target", "outcome")) == outcomes
    ola = counter_by(exposition, "servicepulse_ola_outcomes_total", ("team", "outcome"))
    stints = ledger_by(path, "stint", ("team", "outcome"))
    assert +Counter({k: n for k, n in stints.items() if k[1]}) == ola
