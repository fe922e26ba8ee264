"""Free loopback ports and the processes the tests start (servers, workers, the demo).

    port = free_port()                       # a port nothing listens on right now
    procs = Processes(tmp_path)              # each process logs to tmp_path/<name>.log
    proc = procs.start("demo", [sys.executable, "-m", "streams.cli", "demo", ...])
    wait_until_up(f"http://127.0.0.1:{port}/metrics", proc, "the demo")
    procs.stop()                             # SIGTERM in reverse order, SIGKILL after 10 s

A process that is to be stopped with Ctrl-C is started with ``preexec_fn=default_sigint``
and stopped with ``interrupt(proc)``: a suite started with SIGINT ignored (a background job,
``trap "" INT``) passes the ignored SIGINT on to every child, which would never stop on it.
The ``free_port`` and ``processes`` fixtures of tests/conftest.py hand these out.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any


def free_port(pair: bool = False) -> int:
    """A free 127.0.0.1 port; ``pair``: the next port is free too (Kafka's controller)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if not pair or port >= 65535:
            return port
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


def default_sigint() -> None:
    """``preexec_fn`` of a child stopped with Ctrl-C: SIGINT back to its default action,
    which Python turns into KeyboardInterrupt, however the test run treats SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt(proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """Ctrl-C to ``proc`` and its exit status; killed, and AssertionError, if it is still
    running after ``timeout`` seconds (a child left running would outlive the test)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"still running {timeout:g} s after Ctrl-C: killed") from None


def wait_for(
    what: str, condition: Callable[[], Any], timeout: float = 30, every: float = 0.1
) -> Any:
    """Call ``condition`` until it returns something true, and return that; AssertionError
    naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(every)


def get(url: str, timeout: float = 5) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return bytes(response.read())


def get_json(url: str, timeout: float = 10.0) -> Any:
    return json.loads(get(url, timeout))


def wait_until_up(
    url: str, proc: subprocess.Popen[bytes], what: str = "", timeout: float = 30
) -> None:
    """Until ``url`` answers; AssertionError if ``proc`` exits or ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what or url} exited with {proc.returncode}")
        try:
            get(url, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{what or 'nothing'} up at {url} after {timeout} s")


def stop(procs: list[subprocess.Popen[bytes]], timeout: float = 10) -> None:
    """SIGTERM to each process still running, SIGKILL to those left after ``timeout``."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Processes:
    """Processes started for one test (or module), each logging to ``logs/<name>.log``."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        """``args`` started with stdout and stderr to its log; ``kwargs`` go to Popen."""
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, **kwargs)
        self.procs.append((name, proc))
        return proc

    def stop(self) -> None:
        """Stop them all, the last started first."""
        stop([proc for _, proc in reversed(self.procs)])

    def tail(self, lines: int = 15) -> str:
        """The last lines of every log, for an assertion message."""
        out = []
        for name, _ in self.procs:
            text = (self.logs / f"{name}.log").read_text(errors="replace")
            out.append(f"--- {name} ---\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(out)
