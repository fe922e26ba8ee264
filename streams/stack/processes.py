"""Processes of the stack: identity by pid and start time, the marker, stopping groups.

Linux only (``/proc``): a pid alone is not an identity (pids are reused), so a process is
recorded with its start time in clock ticks since boot, and every process of a stack carries
``SERVICEPULSE_STACK=<dir>`` in its environment so that even a child of a child is found.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streams.stack.layout import MARKER_ENV


@dataclass
class Proc:
    """One process of the stack, as recorded in stack.json."""

    name: str
    kind: str
    pid: int
    started: int | None  # start time in clock ticks since boot (/proc/PID/stat field 22)
    port: int | None = None
    url: str | None = None
    log: str | None = None
    cmd: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Proc:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, start time) of a process, None if there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ")"
    rest = text[text.rindex(")") + 2 :].split()
    return rest[0], int(rest[19])


def start_ticks(pid: int) -> int | None:
    stat = _stat(pid)
    return stat[1] if stat else None


def alive(pid: int, started: int | None = None) -> bool:
    """The process runs (not a zombie) and, if ``started`` is given, is that same process."""
    stat = _stat(pid)
    if stat is None:
        if sys.platform.startswith("linux"):
            return False
        try:  # no /proc: the best there is
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    state, ticks = stat
    if state in ("Z", "X"):
        return False
    return started is None or ticks == started


def marked_processes(marker: str) -> list[int]:
    """Live processes whose environment carries ``SERVICEPULSE_STACK=<marker>``."""
    needle = f"{MARKER_ENV}={marker}".encode()
    found = []
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0") and alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def _signal(pid: int, sig: int) -> None:
    """``sig`` to the process group of ``pid`` when it leads one, else to ``pid``."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def reap(pid: int) -> None:
    """Collect the exit status of a child of this process (no zombie left)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def terminate(pids: Iterable[tuple[int, int | None]], timeout: float) -> list[int]:
    """SIGTERM (to each process group), wait up to ``timeout``, then SIGKILL.

    ``pids``: (pid, start ticks or None). Returns the pids that had to be killed.
    """
    live = [(pid, ticks) for pid, ticks in pids if alive(pid, ticks)]
    for pid, _ in live:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while True:
        for pid, _ in live:
            reap(pid)
        live = [(pid, ticks) for pid, ticks in live if alive(pid, ticks)]
        if not live or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    killed = []
    for pid, _ in live:
        _signal(pid, signal.SIGKILL)
        killed.append(pid)
    deadline = time.monotonic() + 10
    while live and time.monotonic() < deadline:
        for pid, _ in live:
            reap(pid)
        live = [(pid, ticks) for pid, ticks in live if alive(pid, ticks)]
        time.sleep(0.05)
    return killed


def last_lines(path: Path | str | None, count: int = 5) -> str:
    """The last non-blank lines of a log, joined by `` | `` (for one-line errors)."""
    if not path:
        return ""
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    lines = [line.strip() for line in lines if line.strip()]
    return " | ".join(lines[-count:])
