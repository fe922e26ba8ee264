"""OpenMetrics chunks into TSDB blocks with ``promtool``, one at a time, in the background."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from streams.errors import UserError

SPAN = 18 * 3600.0  # one block per chunk: a TSDB block range (2 h x 3^n), epoch-aligned


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        raise UserError(
            "promtool not found on PATH: it turns the samples into TSDB blocks "
            "(Debian/Ubuntu: apt install prometheus; or the release tarball from prometheus.io)"
        )
    return found


class BlockMaker:
    """Runs ``promtool tsdb create-blocks-from openmetrics`` on one chunk while the caller
    writes the next; a chunk's file is deleted once its block exists."""

    def __init__(self, out: Path, on_made: Callable[[Path], None] | None = None) -> None:
        self.out = out
        self.on_made = on_made  # told each file whose block is made (the rules ahead)
        self.promtool = promtool()
        self._running: subprocess.Popen[bytes] | None = None
        self._path = Path()
        self.made = 0

    def make(self, path: Path) -> None:
        self.wait()
        self._path = path
        self._running = subprocess.Popen(
            [
                *(self.promtool, "tsdb", "create-blocks-from", "openmetrics"),
                *("--max-block-duration=18h", "-q", str(path), str(self.out)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.made += 1

    def wait(self) -> None:
        if self._running is None:
            return
        _, err = self._running.communicate()
        returncode, self._running = self._running.returncode, None
        if returncode != 0:
            last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise UserError(f"promtool failed on {self._path.name}: {last[0]}")
        self._path.unlink(missing_ok=True)
        if self.on_made is not None:
            self.on_made(self._path)

    def abort(self) -> None:
        if self._running is not None:
            self._running.kill()
            self._running.wait()
            self._running = None


class BlockQueue:
    """Files into blocks one after the other on a thread of their own, so the caller never
    waits for promtool between two files (the rules pass queues a batch's 4 span files at
    once: the temporary Prometheus went idle while promtool read them one by one)."""

    def __init__(self, out: Path) -> None:
        self._maker = BlockMaker(out)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="promtool")
        self._queued: list[Future[None]] = []
        self._stopped = False

    def put(self, path: Path) -> None:
        self._queued.append(self._pool.submit(self._make, path))

    def _make(self, path: Path) -> None:
        if self._stopped:
            return
        self._maker.make(path)
        self._maker.wait()

    def wait(self) -> None:
        """Every file queued made into its block (the first failure raised)."""
        queued, self._queued = self._queued, []
        for future in queued:
            future.result()

    def abort(self) -> None:
        self._stopped = True
        for future in self._queued:
            future.cancel()
        self._maker.abort()  # the file being read, if any
        self._pool.shutdown(wait=True)
