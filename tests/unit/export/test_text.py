"""The fast text exposition writes the very bytes prometheus-client's generate_latest writes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import generate_latest

from streams.core.engine import Engine
from streams.core.policy import DEFAULT_POLICY_SET
from streams.export.catalogue import DURATION_BUCKETS
from streams.export.exporter import Exporter
from streams.export.text import series_prefix

# label values that need escaping, and plain ones
texts = st.sampled_from(["billing", 'say "hi"', "back\\slash", "two\nlines", "ünï"])
label_sets = st.tuples(texts, st.sampled_from(["chat", "email"]), texts, st.just("vip"))
values = st.one_of(
    st.sampled_from(DURATION_BUCKETS), st.floats(0, 1e9, allow_nan=False), st.just(1234567.0)
)
facts = st.lists(
    st.one_of(
        st.tuples(st.just("inc"), label_sets, st.floats(0, 1e7, allow_nan=False)),
        st.tuples(st.just("observe"), label_sets, values),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(facts)
def test_exposition_is_byte_for_byte_what_generate_latest_writes(seq: list) -> None:
    exporter = Exporter()
    for kind, labels, amount in seq:
        if kind == "inc":
            exporter.inc("tickets_created", labels, amount)
        else:
            exporter.observe("first_response_seconds", labels, amount)
    first = exporter.exposition()
    assert first == generate_latest(exporter.registry)
    # the cached prefixes serve a second scrape after more facts just as well
    exporter.inc("tickets_created", ("billing", "chat", "billing", "vip"), 2.0)
    exporter.observe("first_response_seconds", ("billing", "chat", "billing", "vip"), 30.0)
    assert exporter.exposition() == generate_latest(exporter.registry)


def test_exposition_of_an_engine_with_gauges_equals_generate_latest() -> None:
    exporter = Exporter()
    engine = Engine(DEFAULT_POLICY_SET, exporter)
    exporter.watch(engine, now=lambda: 1_800_000_000.0 + 7200)
    for n in range(40):
        event = {
            "event_id": f"e{n}",
            "type": "ticket.created",
            "ticket_id": f"T{n}",
            "ts": "2027-01-15T08:00:00+00:00",
            "team": f"team{n % 3}",
            "channel": "chat",
            "priority": "high",
            "customer_id": f"C{n}",
        }
        engine.ingest(json.dumps(event))
    text = exporter.exposition()
    assert text == generate_latest(exporter.registry)
    assert b'servicepulse_tickets_created_total{channel="chat",customer_tier="standard",' in text


def test_series_prefix_sorts_labels_by_name_and_escapes_values() -> None:
    pairs = [("team", 'a"b'), ("le", "0.5"), ("channel", "x\\y\nz")]
    expected = 'm_bucket{channel="x\\\\y\\nz",le="0.5",team="a\\"b"} '
    assert series_prefix("m_bucket", pairs) == expected
    assert series_prefix("m", []) == "m "
