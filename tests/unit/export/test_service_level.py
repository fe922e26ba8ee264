"""Service level, ASA and AHT inputs in the exposition, against hand-computed values.

The recording rules divide these series (METRICS.md): service level at T =
first_response_seconds_bucket{le=T} / first_response_seconds_count; ASA =
first_response_seconds_sum / _count; AHT = agent_work_seconds_total /
tickets_resolved_total. Policy: 24x7, so SLA-clock time is wall time.
"""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from streams.core.engine import Engine
from streams.core.policy import parse_policy
from streams.export.exporter import Exporter
from tests.support import at, created, event, reply

START = at("2026-11-23 09:00")
POLICY = {"policies": [{"name": "all", "targets": {"first_response": "1h"}}]}


def exposed(*events: dict[str, Any]) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    exporter = Exporter()
    engine = Engine(parse_policy(POLICY), exporter)
    for raw in events:
        assert engine.ingest(raw, event_clock=True).reason is None, raw
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(exporter.exposition().decode())
        for s in family.samples
    }


def answered(channel: str, waits: tuple[float, ...], **fields: Any) -> list[dict[str, Any]]:
    events = []
    for i, wait in enumerate(waits):
        ticket = f"{channel}-{i}"
        events.append(created(ticket, START, channel=channel, **fields))
        events.append(reply(ticket, START + wait))
    return events


def labels(channel: str, **more: str) -> frozenset[tuple[str, str]]:
    base = {"team": "billing", "channel": channel, "priority": "normal"}
    return frozenset({**base, "customer_tier": "standard", **more}.items())


def test_service_level_counts_a_contact_answered_exactly_at_the_threshold_as_within() -> None:
    phone = (5, 10, 20, 20, 20.5, 21, 45)  # answered after ... seconds
    got = exposed(
        *answered("phone", phone),
        created("gone", START, channel="phone"),  # abandoned: no answer, not in the histogram
        event("contact.abandoned", "gone", START + 30),
        *answered("chat", (19, 20, 40)),
    )
    bucket = "servicepulse_first_response_seconds_bucket"
    count = got[("servicepulse_first_response_seconds_count", labels("phone"))]
    within_20 = got[(bucket, labels("phone", le="20.0"))]
    assert (within_20, count) == (4, 7)  # 5, 10 and both 20s: service level 4/7 = 57 %
    assert got[(bucket, labels("phone", le="10.0"))] == 2  # 10 s is within 10 s as well
    assert got[(bucket, labels("phone", le="30.0"))] == 6
    assert got[(bucket, labels("chat", le="20.0"))] == 2  # 19 and 20 of 3
    assert got[("servicepulse_first_response_seconds_count", labels("chat"))] == 3


def test_asa_inputs_are_the_answered_contacts_wait_sum_and_count() -> None:
    got = exposed(
        *answered("phone", (5, 10, 20, 20, 20.5, 21, 45)),
        created("gone", START, channel="phone"),
        event("contact.abandoned", "gone", START + 300),  # its 300 s wait is no answer
    )
    total = got[("servicepulse_first_response_seconds_sum", labels("phone"))]
    count = got[("servicepulse_first_response_seconds_count", labels("phone"))]
    assert total == 141.5 and count == 7  # ASA 141.5 / 7 = 20.2 s


def test_aht_inputs_are_the_work_seconds_and_the_resolutions() -> None:
    got = exposed(
        created("t1", START, channel="phone"),
        reply("t1", START + 10, work_seconds=120),
        event("ticket.resolved", "t1", START + 200, work_seconds=60),
        created("t2", START, channel="phone"),
        reply("t2", START + 15, work_seconds=200),
        reply("t2", START + 20, public=False, work_seconds=40),  # after-call notes are work too
        event("ticket.resolved", "t2", START + 300),
        created("t3", START, channel="phone"),
        reply("t3", START + 12, work_seconds=100),  # still open
    )
    team_channel = frozenset({("team", "billing"), ("channel", "phone")})
    work = got[("servicepulse_agent_work_seconds_total", team_channel)]
    resolved = got[("servicepulse_tickets_resolved_total", labels("phone"))]
    assert (work, resolved) == (520, 2)  # AHT over this window: 520 / 2 = 260 s
    handle = got[
        (
            "servicepulse_agent_handle_seconds_total",
            frozenset({("team", "billing"), ("agent", "a1")}),
        )
    ]
    assert handle == 520  # every message by a1 (the builder's default agent); resolutions: a1
