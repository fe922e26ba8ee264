"""One stack folder: its state file, spawning and awaiting its processes, stopping them all.

The folder (``--dir``) holds ``stack.json`` (pids, ports, command lines), ``logs/<name>.log``
and each process's state. Every child gets ``SERVICEPULSE_STACK=<dir>`` in its environment,
so ``down`` finds even a process it has no pid for (a child of a child).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streams.errors import UserError
from streams.stack.layout import MARKER_ENV, REPO_ROOT, STATE_FILE, STOP_ORDER
from streams.stack.processes import (
    Proc,
    alive,
    last_lines,
    marked_processes,
    reap,
    start_ticks,
    terminate,
)

_CHILDREN: list[subprocess.Popen[bytes]] = []  # kept so that no ResourceWarning is raised


def say(message: str) -> None:
    """A progress line on stderr."""
    print(f"stack: {message}", file=sys.stderr, flush=True)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Stack:
    """The processes of one stack folder."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.dir = Path(directory).resolve()
        self.state_path = self.dir / STATE_FILE
        self.logs = self.dir / "logs"
        self.marker = str(self.dir)
        self.state: dict[str, Any] = {}

    # -- state file
    def load(self) -> bool:
        try:
            self.state = json.loads(self.state_path.read_text())
        except FileNotFoundError:
            self.state = {}
            return False
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot read {self.state_path}: {exc}") from None
        return True

    def save(self) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=2) + "\n")
        tmp.replace(self.state_path)

    @property
    def processes(self) -> list[Proc]:
        return [Proc.from_dict(p) for p in self.state.get("processes", [])]

    def running(self) -> list[Proc]:
        return [p for p in self.processes if alive(p.pid, p.started)]

    def record(self, proc: Proc) -> Proc:
        procs = [p for p in self.state.setdefault("processes", []) if p["name"] != proc.name]
        procs.append(asdict(proc))
        self.state["processes"] = procs
        self.save()
        return proc

    # -- environment of every child
    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env[MARKER_ENV] = self.marker
        env["PYTHONUNBUFFERED"] = "1"
        env.update(extra or {})
        return env

    def spawn(
        self,
        name: str,
        kind: str,
        cmd: list[str],
        *,
        port: int | None = None,
        url: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Proc:
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            out.write(f"\n=== {now()} {' '.join(cmd)}\n".encode())
            out.flush()
            try:
                child = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=self.env(env),
                    cwd=REPO_ROOT,
                    start_new_session=True,  # own process group: `down` signals the group
                )
            except OSError as exc:
                raise UserError(f"cannot start {name} ({cmd[0]}): {exc.strerror}") from None
        _CHILDREN.append(child)
        return self.record(
            Proc(name, kind, child.pid, start_ticks(child.pid), port, url, str(log), cmd)
        )

    def wait_ready(
        self, procs: list[Proc], check: Callable[[Proc], bool], timeout: float, what: str
    ) -> None:
        """Until ``check`` holds for every process; fail at once if one exits."""
        t0 = time.monotonic()
        pending = list(procs)
        last_note = 0.0
        while pending:
            for proc in list(pending):
                if not alive(proc.pid, proc.started):
                    reap(proc.pid)
                    raise UserError(
                        f"{proc.name} exited during start-up; last lines of {proc.log}: "
                        f"{last_lines(proc.log) or '(empty)'}"
                    )
                if check(proc):
                    pending.remove(proc)
            if not pending:
                break
            waited = time.monotonic() - t0
            if waited > timeout:
                names = ", ".join(p.name for p in pending)
                raise UserError(
                    f"{names} not {what} after {timeout:.0f}s; see {pending[0].log}: "
                    f"{last_lines(pending[0].log) or '(empty)'}"
                )
            if waited - last_note >= 10:
                last_note = waited
                say(f"  ... waiting for {', '.join(p.name for p in pending)} ({waited:.0f} s)")
            time.sleep(0.25)

    # -- down
    def down(self, timeout: float = 30.0, quiet: bool = False) -> int:
        """Stop every process; return how many were running. UserError if any is left."""
        had_state = self.load()
        procs = self.processes
        running = [p for p in procs if alive(p.pid, p.started)]
        strays = [
            pid for pid in marked_processes(self.marker) if pid not in {p.pid for p in running}
        ]
        if not had_state and not strays:
            if not quiet:
                say(f"no stack in {self.dir}")
            return 0
        order = {kind: i for i, kind in enumerate(STOP_ORDER)}
        for kind in sorted({p.kind for p in running}, key=lambda k: order.get(k, -1)):
            stage = [p for p in running if p.kind == kind]
            if not quiet:
                say(f"stopping {', '.join(f'{p.name} ({p.pid})' for p in stage)} ...")
            killed = terminate([(p.pid, p.started) for p in stage], timeout)
            if killed and not quiet:
                say(f"  killed after {timeout:g}s: {', '.join(map(str, killed))}")
        # anything else carrying the stack's marker (children of children, a half-started run)
        leftovers = marked_processes(self.marker)
        if leftovers:
            if not quiet:
                say(
                    f"stopping {len(leftovers)} more process(es) of the stack: "
                    f"{', '.join(map(str, leftovers))}"
                )
            terminate([(pid, start_ticks(pid)) for pid in leftovers], min(timeout, 10.0))
        remaining = [p.name for p in procs if alive(p.pid, p.started)]
        remaining += [str(pid) for pid in marked_processes(self.marker)]
        if had_state:
            self.state["stopped"] = now()
            self.save()
        if remaining:
            raise UserError(f"still running after stop: {', '.join(remaining)}")
        if not quiet:
            say(f"stopped {len(running) + len(strays)} processes; none left (logs in {self.logs})")
        return len(running) + len(strays)
