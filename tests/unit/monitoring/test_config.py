"""The monitoring config (config.py): thresholds declared once, service-level edges."""

from __future__ import annotations

from dataclasses import replace

from streams.export.catalogue import DURATION_BUCKETS
from streams.monitoring.config import CONFIG, SERVICE_LEVEL_SECONDS


def test_service_level_thresholds_are_histogram_edges() -> None:
    for channel, seconds in SERVICE_LEVEL_SECONDS.items():
        assert seconds in DURATION_BUCKETS, f"{channel}: {seconds} s is not a bucket edge"
    assert SERVICE_LEVEL_SECONDS["phone"] == SERVICE_LEVEL_SECONDS["chat"] == 20.0


def test_a_board_line_an_alert_shares_is_the_alerts_threshold() -> None:
    t = replace(
        CONFIG.thresholds,
        attainment_min=0.9,
        service_level_min=0.75,
        abandonment_max=0.2,
        csat_min=0.6,
        lag_p99_seconds=60,
        reject_ratio=0.02,
        at_risk_count=7,
        oldest_open_seconds=86400,
    )
    config = replace(CONFIG, thresholds=t, service_level_seconds={"phone": 30.0, "chat": 60.0})
    o = config.objectives
    assert (o.attainment_objective, o.service_level_goal, o.abandon_bad) == (0.9, 0.75, 0.2)
    assert (o.csat_floor, o.lag_bad, o.reject_bad) == (0.6, 60.0, 0.02)
    assert (o.at_risk_bad, o.oldest_bad) == (7.0, 86400.0)
    assert o.asa_bad == 30.0  # the strictest live channel: phone 30 s before chat 60 s


def test_the_boards_own_lines_are_untouched_by_the_thresholds() -> None:
    o = CONFIG.objectives
    assert (o.attainment_floor, o.service_level_floor, o.abandon_warn) == (0.90, 0.70, 0.05)
    # the defaults the boards drew before the lines were shared: 95 % .. 7 days
    assert (o.attainment_objective, o.service_level_goal, o.abandon_bad) == (0.95, 0.80, 0.10)
    assert (o.csat_floor, o.asa_bad, o.lag_bad, o.reject_bad) == (0.70, 20.0, 120.0, 0.05)
    assert (o.at_risk_bad, o.oldest_bad) == (5.0, 7 * 86400.0)
