"""What a backfill writes, read back by a real Prometheus: each series where it changes,
the value one step before each change, every series every two minutes (at 60 s), and each
counter at 0 one step before its first count (docs/history.md, "Samples where they change")."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator

import orjson
import pytest

from tests.integration.test_history import prometheus_on, query
from tests.support import at, event

pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.skipif(
        shutil.which("promtool") is None or shutil.which("prometheus") is None,
        reason="needs prometheus and promtool on PATH",
    ),
]

POLICY = """\
policies:
  - name: round-the-clock
    match: {}
    calendar: always
    targets: {first_response: 1h}
"""
CREATED = "servicepulse_tickets_created_total"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # Sampled every 60 s (instants on whole minutes). a1 is created at 09:00:30 (first
    # counted at the 09:01 sample), a2 at 09:21:30 (counted at 09:22, an even minute: the
    # refresh instants are the even minutes, so 09:21 is written only as the value before
    # that change); both answered; the last event 10:00:05, the last sample 10:01.
    tmp = tmp_path_factory.mktemp("samples")
    team = {"team": "billing", "channel": "email", "priority": "normal", "customer_id": "c"}
    events = [
        event("ticket.created", "a1", at("2026-11-23 09:00:30"), **team),
        event("ticket.created", "a2", at("2026-11-23 09:21:30"), **team),
        event("message.agent", "a1", at("2026-11-23 09:40:10"), agent_id="ann"),
        event("message.agent", "a2", at("2026-11-23 10:00:05"), agent_id="ann"),
    ]
    history = tmp / "h.jsonl"
    history.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    policy = tmp / "policy.yml"
    policy.write_text(POLICY)
    blocks = tmp / "blocks"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "streams.cli", "backfill", str(history)),
            *("--out", str(blocks), "--policy", str(policy), "--step", "60s", "--no-rules"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    with prometheus_on(blocks, CREATED, at("2026-11-23 10:01")) as prometheus:
        yield prometheus


def test_a_counter_reads_zero_one_step_before_its_first_count(url: str) -> None:
    assert query(url, CREATED, at("2026-11-23 09:00")) == {"billing": 0}
    assert query(url, CREATED, at("2026-11-23 09:00:59")) == {"billing": 0}
    assert query(url, CREATED, at("2026-11-23 09:01")) == {"billing": 1}
    assert query(url, CREATED, at("2026-11-23 08:59")) == {}  # nothing before


def test_increase_counts_a_series_first_count(url: str) -> None:
    # [08:01:30, 10:01:30]: first sample 09:00 (0), last 10:01 (2), so the raw increase is 2
    # over 61 min; extrapolated to the window's end (30 s after the last sample, less than
    # an interval) and not before the first sample (a counter at 0 there starts there):
    # 2 x (61 min + 30 s) / 61 min. Without the 0 the first sample would be 09:01's 1.
    expected = 2 * (61 * 60 + 30) / (61 * 60)
    assert query(url, f"increase({CREATED}[2h])", at("2026-11-23 10:01:30")) == pytest.approx(
        {"billing": expected}
    )


def test_an_unchanged_series_is_written_every_two_minutes_and_has_a_rate_of_zero(
    url: str,
) -> None:
    at_ = at("2026-11-23 09:15:30")
    # the newest sample before 09:15:30 is the refresh of 09:14, not one at 09:15
    assert query(url, f"timestamp({CREATED})", at_) == {"billing": at("2026-11-23 09:14")}
    # [09:10:30, 09:15:30] holds the refreshes of 09:12 and 09:14: two samples, rate 0
    assert query(url, f"count_over_time({CREATED}[5m])", at_) == {"billing": 2}
    assert query(url, f"rate({CREATED}[5m])", at_) == {"billing": 0}
    assert query(url, "servicepulse_open_tickets", at_) == {"billing": 1}


def test_the_value_before_a_change_is_written_one_step_before_it(url: str) -> None:
    # 09:21 (an odd minute, no refresh) holds 1, written because 09:22 changed to 2
    at_ = at("2026-11-23 09:22:10")
    assert query(url, f"timestamp({CREATED})", at("2026-11-23 09:21:30")) == {
        "billing": at("2026-11-23 09:21")
    }
    # [09:20:40, 09:22:10]: 09:21 (1) and 09:22 (2): 1 over 60 s, extrapolated to the
    # window's 90 s (both ends within an interval): 1.5
    assert query(url, f"increase({CREATED}[90s])", at_) == pytest.approx({"billing": 1.5})
    assert query(url, f"count_over_time({CREATED}[20m])", at("2026-11-23 09:39:59")) == {
        # [09:19:59, 09:39:59]: refreshes 09:20 ... 09:38 (10), and 09:21
        "billing": 11
    }


def test_the_last_sample_has_every_series(url: str) -> None:
    last = at("2026-11-23 10:01")
    assert query(url, f"timestamp({CREATED})", last + 30) == {"billing": last}
    assert query(url, "servicepulse_open_tickets", last) == {"billing": 2}  # none resolved
