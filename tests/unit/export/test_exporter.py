"""The dict-backed exporter exposes exactly what prometheus-client's own metrics would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from streams.export.catalogue import DURATION_BUCKETS, L
from streams.export.exporter import Exporter

teams = st.sampled_from(["billing", "technical"])
label_sets = st.tuples(teams, st.sampled_from(["chat", "email"]), st.just("high"), st.just("vip"))
values = st.one_of(st.sampled_from(DURATION_BUCKETS), st.floats(0, 1e6, allow_nan=False))
facts = st.lists(
    st.one_of(
        st.tuples(st.just("inc"), label_sets, st.floats(0, 1e4, allow_nan=False)),
        st.tuples(st.just("observe"), label_sets, values),
    ),
    max_size=40,
)


def samples(text: bytes, prefix: str) -> dict[tuple[str, frozenset], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
        if s.name.startswith(prefix) and not s.name.endswith("_created")  # not exposed by us
    }


@settings(max_examples=60, deadline=None)
@given(facts)
def test_counters_and_histograms_match_prometheus_client(seq: list) -> None:
    registry = CollectorRegistry()
    counter = Counter("servicepulse_tickets_created", "", L, registry=registry)
    histogram = Histogram(
        "servicepulse_first_response_seconds", "", L, buckets=DURATION_BUCKETS, registry=registry
    )
    exporter = Exporter()
    for kind, labels, amount in seq:
        if kind == "inc":
            counter.labels(*labels).inc(amount)
            exporter.inc("tickets_created", labels, amount)
        else:
            histogram.labels(*labels).observe(amount)
            exporter.observe("first_response_seconds", labels, amount)
    for prefix in ("servicepulse_tickets_created_total", "servicepulse_first_response_seconds"):
        expected = samples(generate_latest(registry), prefix)
        got = samples(exporter.exposition(), prefix)
        assert got.keys() == expected.keys()
        for key, value in expected.items():
            assert abs(got[key] - value) <= 1e-9 * max(1.0, abs(value)), key


def test_event_lag_is_clamped_at_zero_and_bucketed() -> None:
    exporter = Exporter()
    exporter.observe_lag(-3.0)  # a producer's clock ahead of ours: counted as no lag
    exporter.observe_lag(0.7)  # (0.5, 1.0] bucket
    got = samples(exporter.exposition(), "servicepulse_event_lag_seconds")
    assert got[("servicepulse_event_lag_seconds_count", frozenset())] == 2
    assert got[("servicepulse_event_lag_seconds_sum", frozenset())] == 0.7
    assert got[("servicepulse_event_lag_seconds_bucket", frozenset({("le", "0.05")}))] == 1
    assert got[("servicepulse_event_lag_seconds_bucket", frozenset({("le", "0.5")}))] == 1
    assert got[("servicepulse_event_lag_seconds_bucket", frozenset({("le", "1.0")}))] == 2
