"""Tests of the contact-centre simulator (streams/simulator.py).

The contract checks below are written from CONTRACT.md section 1, independently of the
simulator's own tables, so a drift on either side fails here.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from streams.simulator import SCENARIOS, ContactCentre, SimConfig, iso

# Monday 2026-11-23 00:00:00 UTC
MONDAY = datetime(2026, 11, 23, tzinfo=UTC).timestamp()
HOUR = 3600.0

# --------------------------------------------------------------------------- contract checker

RFC3339_WITH_OFFSET = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
)
CHANNELS = {"phone", "chat", "email", "social", "web"}
PRIORITIES = {"urgent", "high", "normal", "low"}
TIERS = {"vip", "standard"}
CATEGORIES = {"inquiry", "complaint", "incident", "request"}
STATUSES = {"pending", "on_hold", "open"}
SURVEY_RANGES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}


def _text(v: Any) -> bool:
    return isinstance(v, str) and v != ""


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _one_of(values: set[str]) -> Any:
    return lambda v: v in values


# type -> (required {field: check}, optional {field: check})
CONTRACT: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "ticket.created": (
        {
            "team": _text,
            "channel": _one_of(CHANNELS),
            "priority": _one_of(PRIORITIES),
            "customer_id": _text,
        },
        {"customer_tier": _one_of(TIERS), "category": _one_of(CATEGORIES)},
    ),
    "ticket.assigned": ({"agent_id": _text}, {"team": _text}),
    "message.agent": (
        {"agent_id": _text},
        {"public": lambda v: isinstance(v, bool), "work_seconds": lambda v: _number(v) and v >= 0},
    ),
    "message.customer": ({}, {}),
    "ticket.transferred": ({"from_team": _text, "to_team": _text}, {}),
    "ticket.status": ({"status": _one_of(STATUSES)}, {}),
    "ticket.resolved": ({}, {"agent_id": _text, "work_seconds": lambda v: _number(v) and v >= 0}),
    "ticket.reopened": ({}, {}),
    "ticket.closed": ({}, {}),
    "contact.abandoned": ({}, {}),
    "survey.response": ({"kind": _one_of(set(SURVEY_RANGES)), "score": lambda v: True}, {}),
    "qa.review": (
        {"agent_id": _text, "score": lambda v: _number(v) and 0 <= v <= 100},
        {"reviewer_id": _text},
    ),
}


def contract_errors(ev: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    for field in ("event_id", "ticket_id"):
        if not _text(ev.get(field)):
            errors.append(f"{field} missing or empty")
    ts = ev.get("ts")
    if not isinstance(ts, str) or not RFC3339_WITH_OFFSET.match(ts):
        errors.append(f"bad ts {ts!r}")
    typ = ev.get("type")
    if typ not in CONTRACT:
        return [*errors, f"unknown type {typ!r}"]
    required, optional = CONTRACT[typ]
    for field, check in required.items():
        if field not in ev:
            errors.append(f"{typ}: missing {field}")
        elif not check(ev[field]):
            errors.append(f"{typ}: bad {field}={ev[field]!r}")
    for field, check in optional.items():
        if field in ev and not check(ev[field]):
            errors.append(f"{typ}: bad {field}={ev[field]!r}")
    extra = set(ev) - {"event_id", "type", "ticket_id", "ts"} - set(required) - set(optional)
    if extra:
        errors.append(f"{typ}: fields outside the contract {sorted(extra)}")
    if typ == "survey.response" and ev.get("kind") in SURVEY_RANGES:
        lo, hi = SURVEY_RANGES[ev["kind"]]
        score = ev.get("score")
        if not (isinstance(score, int) and not isinstance(score, bool) and lo <= score <= hi):
            errors.append(f"survey {ev['kind']} score {score!r} outside {lo}-{hi}")
    return errors


# --------------------------------------------------------------------------- helpers


def ts_of(ev: dict[str, Any]) -> float:
    dt = datetime.fromisoformat(ev["ts"].replace("Z", "+00:00"))
    assert dt.tzinfo is not None
    return dt.timestamp()


def run(config: SimConfig, hours: float, start: float = MONDAY) -> list[dict[str, Any]]:
    return list(ContactCentre(config, start).events(start + hours * HOUR))


@cache
def normal_day() -> tuple[dict[str, Any], ...]:
    """A busy, flat half day: ~7 200 tickets, every kind of event."""
    return tuple(run(SimConfig(seed=7, arrivals_per_hour=600.0, flat_arrivals=True), 12))


def created_count(events: Iterable[dict[str, Any]]) -> int:
    return sum(1 for e in events if e["type"] == "ticket.created")


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_events_different_seed_different() -> None:
    cfg = SimConfig(seed=11, arrivals_per_hour=300.0)
    a = list(itertools.islice(ContactCentre(cfg, MONDAY).events(), 5000))
    b = list(itertools.islice(ContactCentre(cfg, MONDAY).events(), 5000))
    c = list(
        itertools.islice(
            ContactCentre(SimConfig(seed=12, arrivals_per_hour=300.0), MONDAY).events(), 5000
        )
    )
    assert len(a) == 5000
    assert a == b
    assert json.dumps(a) == json.dumps(b)
    assert [e["ts"] for e in a] != [e["ts"] for e in c]


def test_global_random_is_not_used() -> None:
    import random

    random.seed(1)
    a = run(SimConfig(seed=3), 6)
    random.seed(2)
    state = random.getstate()
    b = run(SimConfig(seed=3), 6)
    assert a == b
    assert random.getstate() == state


def test_events_continue_across_calls() -> None:
    cfg = SimConfig(seed=5, arrivals_per_hour=400.0)
    whole = run(cfg, 10)
    cc = ContactCentre(cfg, MONDAY)
    parts = list(cc.events(MONDAY + 3 * HOUR)) + list(cc.events(MONDAY + 10 * HOUR))
    assert parts == whole
    assert all(ts_of(e) <= MONDAY + 10 * HOUR for e in whole)


# --------------------------------------------------------------------------- format


def test_every_event_follows_the_contract() -> None:
    events = normal_day()
    bad = [(e, err) for e in events for err in contract_errors(e)]
    assert bad == []
    assert {e["type"] for e in events} == set(CONTRACT)  # every type occurs


def test_checker_rejects_bad_events() -> None:
    good = {
        "event_id": "x",
        "type": "survey.response",
        "ticket_id": "t",
        "ts": "2026-11-23T09:15:02.123+00:00",
        "kind": "csat",
        "score": 5,
    }
    assert contract_errors(good) == []
    assert contract_errors({**good, "score": 6})
    assert contract_errors({**good, "ts": "2026-11-23T09:15:02.123"})
    assert contract_errors({**good, "kind": "nps", "score": 10.0})
    assert contract_errors({**good, "type": "ticket.merged"})


def test_json_ready_and_unique_ids() -> None:
    events = normal_day()
    assert [json.loads(json.dumps(e)) for e in events[:2000]] == list(events[:2000])
    ids = [e["event_id"] for e in events]
    assert len(set(ids)) == len(ids)


def test_ts_non_decreasing_with_offset() -> None:
    events = normal_day()
    times = [ts_of(e) for e in events]
    assert all(e["ts"].endswith("+00:00") for e in events)
    assert all(a <= b for a, b in itertools.pairwise(times))
    assert times[0] >= MONDAY and times[-1] <= MONDAY + 12 * HOUR


def test_iso_matches_datetime() -> None:
    samples = [
        0.0,
        0.001,
        59.9999,
        86399.9995,
        951782400.5,
        MONDAY,
        MONDAY + 86399.123,
        1.5e9 + 0.25,
        4102444799.999,
        -0.5,
    ]
    samples += [MONDAY + i * 7919.377 for i in range(200)]
    for x in samples:
        expected = datetime.fromtimestamp(math.floor(x * 1000) / 1000, UTC)
        assert iso(x) == expected.isoformat(timespec="milliseconds"), x
    assert iso(0.0) == "1970-01-01T00:00:00.000+00:00"
    assert iso(-0.5) == "1969-12-31T23:59:59.500+00:00"


# --------------------------------------------------------------------------- ticket life


def test_ticket_lifecycle_order() -> None:
    events = normal_day()
    seen: set[str] = set()
    closed: set[str] = set()
    resolved_once: set[str] = set()
    answered: set[str] = set()
    for e in events:
        tid, typ = e["ticket_id"], e["type"]
        assert tid not in closed, f"event after ticket.closed: {e}"
        if tid not in seen:
            assert typ == "ticket.created", f"first event of {tid} is {typ}"
            seen.add(tid)
        else:
            assert typ != "ticket.created"
        if typ == "message.agent" and e.get("public", True):
            answered.add(tid)
        elif typ == "contact.abandoned":
            assert tid not in answered, "abandoned after an agent response"
        elif typ == "ticket.resolved":
            resolved_once.add(tid)
        elif typ in ("survey.response", "ticket.reopened", "ticket.closed"):
            assert tid in resolved_once, f"{typ} before any resolution"
        if typ == "ticket.closed":
            closed.add(tid)
    assert len(closed) > 0.4 * len(seen)


def test_transfers_move_the_ticket() -> None:
    team: dict[str, str] = {}
    transfers = 0
    for e in normal_day():
        tid = e["ticket_id"]
        if e["type"] == "ticket.created":
            team[tid] = e["team"]
        elif e["type"] == "ticket.transferred":
            assert e["from_team"] == team[tid] != e["to_team"]
            team[tid] = e["to_team"]
            transfers += 1
        elif e["type"] == "ticket.assigned":
            assert e.get("team", team[tid]) == team[tid]
            assert e["agent_id"].startswith(team[tid])
    assert transfers > 100


def test_realistic_mix() -> None:
    events = normal_day()
    created = [e for e in events if e["type"] == "ticket.created"]
    n = len(created)
    assert 12 * 600 * 0.93 < n < 12 * 600 * 1.07
    channels = Counter(e["channel"] for e in created)
    assert set(channels) == CHANNELS
    assert channels["phone"] > channels["social"] * 3
    assert set(Counter(e["priority"] for e in created)) == PRIORITIES
    assert set(Counter(e["category"] for e in created)) == CATEGORIES
    vip = sum(e["customer_tier"] == "vip" for e in created) / n
    assert 0.07 < vip < 0.13
    types = Counter(e["type"] for e in events)
    notes = sum(1 for e in events if e["type"] == "message.agent" and e["public"] is False)
    assert 0.03 < notes / types["message.agent"] < 0.2
    for typ in ("ticket.reopened", "ticket.transferred", "qa.review", "contact.abandoned"):
        assert 0.005 * n < types[typ] < 0.3 * n, typ
    assert {e["status"] for e in events if e["type"] == "ticket.status"} == STATUSES
    assert {e["kind"] for e in events if e["type"] == "survey.response"} == set(SURVEY_RANGES)
    assert all(e.get("work_seconds", 0) >= 0 for e in events)


def first_responses(events: Iterable[dict[str, Any]]) -> dict[str, tuple[str, float]]:
    """ticket -> (channel, seconds from created to the first public agent message)."""
    created: dict[str, tuple[str, float]] = {}
    out: dict[str, tuple[str, float]] = {}
    for e in events:
        tid = e["ticket_id"]
        if e["type"] == "ticket.created":
            created[tid] = (e["channel"], ts_of(e))
        elif e["type"] == "message.agent" and e.get("public", True) and tid not in out:
            ch, t0 = created[tid]
            out[tid] = (ch, ts_of(e) - t0)
    return out


def test_phone_and_chat_fast_email_slow() -> None:
    by_channel: dict[str, list[float]] = defaultdict(list)
    for ch, secs in first_responses(normal_day()).values():
        by_channel[ch].append(secs)
    med = {ch: statistics.median(v) for ch, v in by_channel.items()}
    assert med["phone"] < 60 and med["chat"] < 120
    assert 300 < med["email"] < 6 * HOUR
    assert med["email"] > 10 * med["phone"]


def test_abandonment_share_grows_with_the_wait() -> None:
    events = normal_day()
    realtime = {
        e["ticket_id"]
        for e in events
        if e["type"] == "ticket.created" and e["channel"] in ("phone", "chat")
    }
    abandoned = {e["ticket_id"] for e in events if e["type"] == "contact.abandoned"}
    assert abandoned <= realtime
    assert 0.01 < len(abandoned) / len(realtime) < 0.15
    surge = run(SimConfig(seed=7, scenario="surge", arrivals_per_hour=600.0, flat_arrivals=True), 6)
    s_rt = {
        e["ticket_id"]
        for e in surge
        if e["type"] == "ticket.created" and e["channel"] in ("phone", "chat")
    }
    s_ab = {e["ticket_id"] for e in surge if e["type"] == "contact.abandoned"}
    assert len(s_ab) / len(s_rt) > 2 * len(abandoned) / len(realtime)


def test_survey_scores_follow_handling_speed() -> None:
    events = normal_day()
    frt = first_responses(events)
    reopened = {e["ticket_id"] for e in events if e["type"] == "ticket.reopened"}
    fast: list[int] = []
    slow: list[int] = []
    for e in events:
        if e["type"] == "survey.response" and e["kind"] == "csat":
            ch, secs = frt[e["ticket_id"]]
            target = 60.0 if ch in ("phone", "chat") else HOUR
            if e["ticket_id"] in reopened or secs > 2 * target:
                slow.append(e["score"])
            elif secs < target:
                fast.append(e["score"])
    assert len(fast) > 200 and len(slow) > 40
    assert statistics.mean(fast) > statistics.mean(slow) + 0.3
    csat_share = sum(s >= 4 for s in fast + slow) / len(fast + slow)
    assert 0.6 < csat_share < 0.95


# --------------------------------------------------------------------------- scenarios


def test_surge_triples_arrivals() -> None:
    hours = 6.0
    cfg = dict(seed=21, arrivals_per_hour=600.0, flat_arrivals=True)
    normal = created_count(run(SimConfig(**cfg), hours))  # type: ignore[arg-type]
    surge = created_count(run(SimConfig(scenario="surge", **cfg), hours))  # type: ignore[arg-type]
    expected = 600.0 * hours
    assert abs(normal - expected) < 4 * math.sqrt(expected)
    assert abs(surge - 3 * expected) < 4 * math.sqrt(3 * expected)
    assert 2.7 < surge / normal < 3.3


def test_surge_that_starts_later_leaves_the_hours_before_it_normal() -> None:
    # 600 an hour, flat; the surge from 2.5 h on: 2.5 h x 600 = 1500 contacts before it,
    # 3.5 h x 1800 = 6300 after it (the half hour before 3 h normal, the half after surged)
    cfg = SimConfig(
        seed=21, scenario="surge", arrivals_per_hour=600.0, flat_arrivals=True,
        surge_start=2.5 * HOUR,
    )  # fmt: skip
    created = [ts_of(e) - MONDAY for e in run(cfg, 6.0) if e["type"] == "ticket.created"]
    before = sum(1 for t in created if t < 2.5 * HOUR)
    after = len(created) - before
    assert abs(before - 1500) < 4 * math.sqrt(1500)
    assert abs(after - 6300) < 4 * math.sqrt(6300)
    third_hour = [t for t in created if 2 * HOUR <= t < 3 * HOUR]
    first_half = sum(1 for t in third_hour if t < 2.5 * HOUR)
    assert abs(first_half - 300) < 4 * math.sqrt(300)
    assert abs(len(third_hour) - first_half - 900) < 4 * math.sqrt(900)


def test_night_arrivals_lower_than_peak() -> None:
    events = run(SimConfig(seed=4, arrivals_per_hour=600.0), 15)
    hours = Counter(
        datetime.fromtimestamp(ts_of(e), UTC).hour for e in events if e["type"] == "ticket.created"
    )
    night = hours[2] + hours[3] + hours[4]
    peak = hours[10] + hours[11] + hours[14]
    assert 0 < night < 0.2 * peak
    assert 1500 < peak < 2100  # ~600/h at the peak
    flat = run(SimConfig(seed=4, arrivals_per_hour=600.0, flat_arrivals=True), 15)
    f_hours = Counter(
        datetime.fromtimestamp(ts_of(e), UTC).hour for e in flat if e["type"] == "ticket.created"
    )
    f_night = f_hours[2] + f_hours[3] + f_hours[4]
    f_peak = f_hours[10] + f_hours[11] + f_hours[14]
    assert 0.8 < f_night / f_peak < 1.25


def agent_activity(
    events: Iterable[dict[str, Any]],
) -> list[tuple[float, str, str]]:
    """(time, team of the ticket at that time, type) of public agent replies and resolutions."""
    team: dict[str, str] = {}
    out: list[tuple[float, str, str]] = []
    for e in events:
        tid, typ = e["ticket_id"], e["type"]
        if typ == "ticket.created":
            team[tid] = e["team"]
        elif typ == "ticket.transferred":
            team[tid] = e["to_team"]
        elif (typ == "message.agent" and e.get("public", True)) or typ == "ticket.resolved":
            out.append((ts_of(e), team[tid], typ))
    return out


def test_outage_silences_one_team_then_it_resumes() -> None:
    cfg = SimConfig(
        seed=9,
        scenario="outage",
        arrivals_per_hour=600.0,
        flat_arrivals=True,
        outage_team="technical",
        outage_start=2 * HOUR,
        outage_end=5 * HOUR,
    )
    events = run(cfg, 10)
    start, end = MONDAY + 2 * HOUR, MONDAY + 5 * HOUR
    activity = agent_activity(events)
    inside = [(team, typ) for t, team, typ in activity if start <= t < end]
    assert ("technical", "message.agent") not in inside
    assert ("technical", "ticket.resolved") not in inside
    assert Counter(team for team, _ in inside)["billing"] > 500  # the others keep working
    before = [x for x in activity if x[0] < start and x[1] == "technical"]
    after = [x for x in activity if end <= x[0] < end + 2 * HOUR and x[1] == "technical"]
    assert len(before) > 500
    assert {typ for _, _, typ in after} == {"message.agent", "ticket.resolved"}
    assert len(after) > len(before) / 2  # the backlog is worked off
    # technical callers give up during the outage
    created_team = {e["ticket_id"]: e["team"] for e in events if e["type"] == "ticket.created"}
    abandoned = Counter(
        created_team[e["ticket_id"]]
        for e in events
        if e["type"] == "contact.abandoned" and start <= ts_of(e) < end
    )
    assert abandoned["technical"] > 5 * max(1, abandoned["billing"])
    bad = [(e, err) for e in events for err in contract_errors(e)]
    assert bad == []


def test_outage_without_end_never_resumes() -> None:
    cfg = SimConfig(
        seed=9,
        scenario="outage",
        arrivals_per_hour=300.0,
        flat_arrivals=True,
        outage_team="sales",
        outage_start=HOUR,
    )
    activity = agent_activity(run(cfg, 6))
    assert not [x for x in activity if x[0] >= MONDAY + HOUR and x[1] == "sales"]
    assert [x for x in activity if x[0] < MONDAY + HOUR and x[1] == "sales"]
    assert [x for x in activity if x[0] >= MONDAY + HOUR and x[1] == "billing"]


def test_other_scenarios_do_not_stop_anyone() -> None:
    cfg = SimConfig(
        seed=9,
        outage_start=2 * HOUR,
        outage_end=5 * HOUR,
        arrivals_per_hour=600.0,
        flat_arrivals=True,
    )
    activity = agent_activity(run(cfg, 6))
    inside = [x for x in activity if MONDAY + 2 * HOUR <= x[0] < MONDAY + 5 * HOUR]
    assert Counter(team for _, team, _ in inside)["technical"] > 500


# --------------------------------------------------------------------------- config


def test_scenarios_constant() -> None:
    assert SCENARIOS == ("normal", "surge", "outage")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scenario": "flood"},
        {"teams": ()},
        {"arrivals_per_hour": 0.0},
        {"scenario": "outage", "outage_team": "legal"},
    ],
)
def test_bad_config_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ContactCentre(SimConfig(**kwargs), MONDAY)


def test_custom_teams() -> None:
    events = run(
        SimConfig(seed=2, teams=("alpha", "beta"), arrivals_per_hour=600.0, flat_arrivals=True), 4
    )
    teams = {e["team"] for e in events if e["type"] == "ticket.created"}
    assert teams == {"alpha", "beta"}
    single = run(SimConfig(seed=2, teams=("solo",), arrivals_per_hour=300.0), 12)
    assert not [e for e in single if e["type"] == "ticket.transferred"]
    assert all(not contract_errors(e) for e in single)
