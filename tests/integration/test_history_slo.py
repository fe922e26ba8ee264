"""A backfilled history carries the error budgets too: the ``servicepulse.slo.*``
recording groups of the alerts.yml beside the recording rules are evaluated over the past
span, in as many passes as they read each other (streams/history/rules.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from streams.monitoring.render import alerts_yml
from tests.integration.test_history import prometheus_on, query
from tests.support import at, iso

pytestmark = pytest.mark.skipif(
    shutil.which("promtool") is None or shutil.which("prometheus") is None,
    reason="needs prometheus and promtool on PATH",
)

RECORDING = """\
groups:
  - name: test
    rules:
      - record: team:created:sum
        expr: sum by (team) (servicepulse_tickets_created_total)
"""


def created(ticket: str, when: str) -> dict:
    return {
        "event_id": f"{ticket}:c",
        "type": "ticket.created",
        "ticket_id": ticket,
        "ts": iso(at(when)),
        "team": "billing",
        "channel": "email",
        "priority": "normal",
        "customer_id": "c1",
    }


def answered(ticket: str, when: str) -> dict:
    return {
        "event_id": f"{ticket}:a",
        "type": "message.agent",
        "ticket_id": ticket,
        "ts": iso(at(when)),
        "agent_id": "a1",
    }


def test_backfilled_history_has_the_attainment_and_error_budget_of_its_outcomes(
    tmp_path: Path,
) -> None:
    # The built-in "default" policy (business hours 09-18 UTC, first response 4h; billing's
    # objective 98 %), sampled every hour. Friday 2026-11-20: f1 met at 09:10, f2 breached
    # at 13:30, f3 met at 15:05. Monday 2026-11-23: ten e-mails from 09:00, eight answered
    # at 09:30 (met), two never (breached at 13:00 and 13:01); t10 created at 16:00,
    # answered at 16:10 (met; its time moves the event clock past the two deadlines).
    # Each outcome series is written at 0 one step before its first count, as a live
    # exporter shows it from its creation, so increase() counts the first outcome too:
    # met 1 + 1 + 8 + 1 = 11, breached 1 + 2 = 3.
    events = [
        created("f1", "2026-11-20 09:00"),
        answered("f1", "2026-11-20 09:10"),
        created("f2", "2026-11-20 09:30"),
        created("f3", "2026-11-20 15:00"),
        answered("f3", "2026-11-20 15:05"),
    ]
    events += [created(f"t{i}", f"2026-11-23 09:{i:02d}") for i in range(10)]
    events += [answered(f"t{i}", "2026-11-23 09:30") for i in range(2, 10)]
    events += [created("t10", "2026-11-23 16:00"), answered("t10", "2026-11-23 16:10")]
    jsonl = tmp_path / "history.jsonl"
    jsonl.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "recording.yml").write_text(RECORDING)
    (rules / "alerts.yml").write_text(alerts_yml())
    blocks = tmp_path / "blocks"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "streams.cli", "backfill", str(jsonl)),
            *("--out", str(blocks), "--step", "1h", "--rules", str(rules / "recording.yml")),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    when = at("2026-11-23 17:00")  # the last sample
    attainment = "team_target:servicepulse_slo_attainment:ratio_rate28d"
    with prometheus_on(blocks, attainment, when) as url:
        # 11 met, 3 breached: 11 / 14; the budget 1 - (3 / 14) / (1 - 0.98) = -9.71
        assert query(url, f'{attainment}{{target="first_response"}}', when) == pytest.approx(
            {"billing": 11 / 14}
        )
        assert query(
            url, 'team_target:servicepulse_slo_objective:ratio{target="first_response"}', when
        ) == pytest.approx({"billing": 0.98})
        budget = "team_target:servicepulse_slo_error_budget_remaining:ratio_rate28d"
        assert query(url, f'{budget}{{target="first_response"}}', when) == pytest.approx(
            {"billing": 1 - (3 / 14) / 0.02}
        )
        assert query(url, "team:created:sum", when) == {"billing": 14}
