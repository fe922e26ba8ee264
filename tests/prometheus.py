"""A real Prometheus and Alertmanager for the tests, on free loopback ports.

    procs = Processes(tmp_path)
    am = start_alertmanager(procs, tmp_path, {"route": {...}, "receivers": [...]})
    prom = start_prometheus(procs, tmp_path, {"global": {...}, "scrape_configs": [...]})
    query(prom, "up")                       # the instant vector, as Prometheus's API gives it
    procs.stop()

The configuration is the caller's (a dict written as YAML, or a file): this module starts the
servers, it does not decide what they do. A missing binary skips the test (Debian packages
prometheus and prometheus-alertmanager). The ``prometheus`` marker goes on such tests.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.processes import Processes, free_port, get_json, wait_until_up

ALERTMANAGER = ("prometheus-alertmanager", "alertmanager")


def binary(*names: str) -> str:
    """The first of ``names`` on PATH; skips the test when there is none."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(f"{names[0]} not installed (Debian: prometheus / prometheus-alertmanager)")


def _config_file(directory: Path, name: str, config: dict[str, Any] | Path) -> Path:
    if isinstance(config, Path):
        return config
    path = directory / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def check_config(config: Path) -> None:
    """``promtool check config`` accepts the file."""
    done = subprocess.run(
        [binary("promtool"), "check", "config", str(config)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def start_prometheus(
    procs: Processes,
    directory: Path,
    config: dict[str, Any] | Path,
    port: int | None = None,
    timeout: float = 30,
) -> str:
    """Prometheus with ``config`` (data in ``directory/prom-data``); returns its URL."""
    port = port or free_port()
    path = _config_file(directory, "prometheus.yml", config)
    proc = procs.start(
        "prometheus",
        [
            binary("prometheus"),
            f"--config.file={path}",
            f"--storage.tsdb.path={directory / 'prom-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{url}/-/ready", proc, "prometheus", timeout)
    return url


def start_alertmanager(
    procs: Processes,
    directory: Path,
    config: dict[str, Any] | Path,
    port: int | None = None,
    timeout: float = 30,
) -> str:
    """Alertmanager with ``config``, no cluster (data in ``directory/am-data``); its URL."""
    port = port or free_port()
    path = _config_file(directory, "alertmanager.yml", config)
    proc = procs.start(
        "alertmanager",
        [
            binary(*ALERTMANAGER),
            f"--config.file={path}",
            f"--storage.path={directory / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{url}/-/ready", proc, "alertmanager", timeout)
    return url


def query(prom: str, expr: str) -> list[dict[str, Any]]:
    """The result of an instant query."""
    answer = get_json(f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    assert answer["status"] == "success", answer
    return list(answer["data"]["result"])


def query_range(prom: str, expr: str, seconds: float, step: str = "2s") -> list[dict[str, Any]]:
    """The result of a range query over the last ``seconds``."""
    now = time.time()
    params = {"query": expr, "start": now - seconds, "end": now, "step": step}
    answer = get_json(f"{prom}/api/v1/query_range?" + urllib.parse.urlencode(params))
    assert answer["status"] == "success", answer
    return list(answer["data"]["result"])
