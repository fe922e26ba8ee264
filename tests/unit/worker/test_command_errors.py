"""A worker started wrongly says so in one line, before Faust starts (no traceback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--broker", "127.0.0.1:{dead}", "--no-create-topics"], "cannot reach Kafka"),
        (["--broker", "kafka://127.0.0.1:{dead}", "--no-create-topics"], "cannot reach Kafka"),
        (["--port", "0"], "--port 0: the worker needs a port from 1 to 65535"),
    ],
)
def test_a_worker_started_wrongly_prints_one_line_and_exits_2(
    options: list[str], message: str
) -> None:
    dead = free_port()  # nothing listens there
    argv = [o.format(dead=dead) for o in options]
    if "--port" not in argv:
        argv += ["--port", str(free_port())]
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "worker", "--broker", f"127.0.0.1:{dead}", *argv],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
