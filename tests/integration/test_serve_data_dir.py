"""``serve``'s data directory as processes see it: one owner at a time, damage survived.

Real processes on free ports (tests/serve_process.py), no mocks.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_serve import plain_events
from tests.processes import Processes
from tests.serve_process import LONG_TARGETS, ServeProcess, value

POLICY = LONG_TARGETS


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return path


def test_a_second_serve_on_the_same_data_dir_exits_at_once_naming_the_holder(
    tmp_path: Path, policy: Path, processes: Processes
) -> None:
    first = ServeProcess(processes, tmp_path / "data", policy=policy).start()
    assert first.process is not None
    second = ServeProcess(processes, tmp_path / "data", policy=policy)
    done = subprocess.run(second.args, capture_output=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert lines == [
        f"servicepulse: error: --data-dir {tmp_path / 'data'} is in use by process "
        f"{first.process.pid} (its lock file {tmp_path / 'data' / 'lock'}); stop that serve "
        "or choose another directory"
    ]
    # the first one is untouched and still takes events
    batch = plain_events("kept", 2)  # 2 created, 2 answered, kept-1 resolved
    assert first.post("/v1/events", json.dumps(batch).encode()).json()["accepted"] == 5
    first.kill()  # the kernel drops the lock of a killed process: the next start takes it
    second.start()
    assert value(second.metrics(), "servicepulse_tickets_created_total") == 2


def test_serve_starts_on_a_journal_damaged_mid_file_and_says_so_once(
    tmp_path: Path, policy: Path, processes: Processes
) -> None:
    data = tmp_path / "data"
    serve = ServeProcess(processes, data, policy=policy).start()
    batch = plain_events("t", 3)  # 3 created, 3 answered, t-1 resolved: 7 events
    assert serve.post("/v1/events", json.dumps(batch).encode()).json()["accepted"] == 7
    serve.kill()
    segment = data / "journal-000001.log"
    text = segment.read_bytes()
    assert text.count(b'"t-2-a"') == 1
    segment.write_bytes(text.replace(b'"t-2-a"', b'"t-2-A"'))  # t-2's reply: crc mismatch
    serve.start()
    found = serve.metrics()
    assert value(found, "servicepulse_journal_damaged_records_total") == 1
    assert value(found, "servicepulse_tickets_created_total") == 3
    assert value(found, "servicepulse_events_processed_total") == 7 - 1
    [kept] = (data / "quarantine").iterdir()
    assert kept.read_bytes() == text.replace(b'"t-2-a"', b'"t-2-A"')
    log = (processes.logs / f"serve-{serve.port}-2.log").read_text()
    damage = [line for line in log.splitlines() if "journal damage" in line]
    assert len(damage) == 1 and "1 damaged records skipped" in damage[0]
    assert "Traceback" not in log
    serve.kill()
    serve.start()  # the damage was compacted away: nothing new to report
    assert value(serve.metrics(), "servicepulse_journal_damaged_records_total") == 1
    assert "journal damage" not in (processes.logs / f"serve-{serve.port}-3.log").read_text()
