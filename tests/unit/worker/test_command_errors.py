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


def test_an_old_store_option_is_a_one_line_notice_and_the_worker_goes_on() -> None:
    dead = free_port()
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "worker", "--broker", f"127.0.0.1:{dead}",
         "--port", str(free_port()), "--no-create-topics", "--store", "rocksdb"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    notice, error = done.stderr.strip().splitlines()
    assert notice.startswith("servicepulse worker: --store is ignored: "), done.stderr
    # past the option, the worker went on to its next check: the (dead) broker
    assert "cannot reach Kafka" in error and done.returncode == 2, done.stderr
