"""`servicepulse demo` starts, serves /metrics with real traffic, and stops cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.processes import free_port


def total(text: str, name: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    )


def test_demo_serves_metrics_and_stops_on_ctrl_c() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streams.cli",
            "demo",
            "--port",
            str(port),
            "--no-board",
            "--speed",
            "600",
            "--seed",
            "5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        created = processed = 0.0
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and created < 5:
            time.sleep(1)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    text = r.read().decode()
            except OSError:
                continue
            created = total(text, "servicepulse_tickets_created_total")
            processed = total(text, "servicepulse_events_processed_total")
        assert created >= 5, "the demo produced no tickets"
        assert processed >= created
        assert total(text, "servicepulse_events_rejected_total") == 0
        # every metric family of the contract is exposed
        names = {f.name for f in text_string_to_metric_families(text)}
        assert "servicepulse_open_tickets" in names
        assert "servicepulse_sla_outcomes" in names  # counters' family name lacks _total
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "stopped:" in err
