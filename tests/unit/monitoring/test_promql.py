"""The PromQL helpers (promql.py): guarded ratios, quantiles, durations, string literals."""

from __future__ import annotations

from streams.monitoring import promql


def test_a_ratio_counts_a_missing_numerator_as_zero_and_never_divides_by_zero() -> None:
    assert promql.ratio("good", "total", ()) == "(\n  good\n  or\n  0 * total\n)\n/\n(total > 0)"


def test_a_quantile_is_given_only_where_the_window_saw_an_observation() -> None:
    assert promql.quantile(0.9, "m", ("team",), "1h") == (
        "histogram_quantile(0.9, sum by (team, le) (rate(m_bucket[1h])))\n"
        "and on (team)\n(sum by (team) (rate(m_count[1h])) > 0)"
    )


def test_durations_go_both_ways_in_the_largest_whole_unit() -> None:
    assert promql.seconds("6h") == 6 * 3600
    assert promql.seconds("30m") == 1800
    assert promql.prom_duration(28 * 86400) == "28d"
    assert promql.prom_duration(36 * 3600) == "36h"  # 1.5 days: hours
    assert promql.prom_duration(5400) == "90m"  # 1.5 hours: minutes


def test_a_string_literal_escapes_quotes_and_backslashes() -> None:
    assert promql.string('a"b\\c') == '"a\\"b\\\\c"'


def test_the_le_matcher_takes_both_spellings_of_a_bucket_edge() -> None:
    assert promql.le_matcher(20.0) == 'le=~"20(\\\\.0)?"'
