"""A throwaway Prometheus on hard links of TSDB blocks, to evaluate rules over the past.

Backfill's recording rules are evaluated by a real Prometheus (``rules.py``), started on a
free loopback port on links of the blocks just written, queried with ``query_range`` and
deleted afterwards. It compacts nothing: the blocks stay as promtool made them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import orjson

from streams.errors import UserError

READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _link_or_copy(source: str, target: str) -> None:
    """A hard link, or a copy where none can be made (``--out`` is a mount point, e.g. a
    Docker volume, and the work directory beside it is on another filesystem)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def block_names(directory: Path) -> set[str]:
    """The finished blocks of ``directory`` (not one promtool is still writing: it writes
    ``ULID.tmp-for-creation`` and renames it when done)."""
    return {
        p.name
        for p in directory.iterdir()
        if p.is_dir() and ".tmp" not in p.name and (p / "meta.json").exists()
    }


class TemporaryPrometheus:
    """A Prometheus on a copy (hard links where it can) of ``blocks``, to evaluate rules on."""

    def __init__(self, blocks: list[Path], work: Path) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            raise UserError(
                "prometheus not found on PATH: it is needed to backfill the recording rules "
                "(install it, or pass --no-rules)"
            )
        self.data = work / "prometheus-data"
        shutil.rmtree(self.data, ignore_errors=True)
        self.data.mkdir(parents=True)
        for directory in blocks:
            for name in block_names(directory):
                shutil.copytree(directory / name, self.data / name, copy_function=_link_or_copy)
        config = work / "prometheus.yml"
        config.write_text("global:\n  evaluation_interval: 1m\n", encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(work / "prometheus.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={self.data}",
                "--storage.tsdb.retention.time=100y",
                # no compaction: left to itself it merges the 18 h blocks into 54 h and
                # 162 h ones, rewriting them on disk while the queries run, for nothing
                # (the setting Thanos gives its sidecar, docs/components/sidecar.md)
                "--storage.tsdb.min-block-duration=2h",
                "--storage.tsdb.max-block-duration=2h",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--query.max-samples=500000000",
                "--query.timeout=30m",
                "--log.level=warn",
            ],
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise UserError(f"the temporary Prometheus exited; see {work / 'prometheus.log'}")
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise UserError("the temporary Prometheus did not become ready within a minute")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


def query_range(url: str, expr: str, start: float, end: float, step: float) -> list[Any]:
    params = urllib.parse.urlencode(
        {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}s"}
    )
    try:
        with urllib.request.urlopen(f"{url}/api/v1/query_range?{params}", timeout=1800) as r:
            body = orjson.loads(r.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:200]
        raise UserError(f"the temporary Prometheus refused a rule: {detail}") from None
    result: list[Any] = body["data"]["result"]
    return result


def hard_links(out: Path, work: Path) -> bool:
    """Whether files of ``out`` can be hard-linked into ``work`` (not where ``out`` is a
    mount point of its own, e.g. a Docker volume: each temporary Prometheus then copies
    the blocks, and :class:`RulesAhead`, which starts one per batch, is not used)."""
    probe = out / ".link-probe"
    try:
        probe.touch()
        os.link(probe, work / probe.name)
    except OSError:
        return False
    finally:
        probe.unlink(missing_ok=True)
        (work / probe.name).unlink(missing_ok=True)
    return True
