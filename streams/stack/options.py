"""What `stack up` is asked to do, and whether this machine has what that needs."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from streams.errors import UserError
from streams.settings import env_value
from streams.stack.layout import KAFKA_SH, TEAM_LEAD


@dataclass
class Options:
    workers: int = 2
    rate: float = 20.0
    scenario: str = "normal"
    seed: int = 1
    partitions: int = 4
    policy: str | None = None
    simulator: bool = True
    default_ports: bool = False
    scrape_interval: str = "5s"
    evaluation_interval: str = "5s"
    timeout: float = 90.0
    fresh: bool = False
    prometheus_bin: str | None = None
    alertmanager_bin: str | None = None
    history: str | None = None  # JSONL history backfilled into Prometheus before it starts


def find_binary(given: str | None, env: str, names: tuple[str, ...], package: str) -> str:
    """The option's binary, else ``$env``'s, else the first of ``names`` on PATH."""
    candidate = given or env_value(env)
    if candidate:
        path = shutil.which(candidate)
        if not path:
            raise UserError(f"{candidate} is not an executable ({env} or option)")
        return path
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    raise UserError(f"{names[0]} not found on PATH (apt-get install {package}, or set {env})")


def check_prerequisites(opts: Options) -> tuple[str, str]:
    """Sane options, the checkout's files, Java; returns (prometheus, alertmanager) binaries."""
    if opts.workers < 1:
        raise UserError("--workers must be at least 1")
    if opts.partitions < 1:
        raise UserError("--partitions must be at least 1")
    if not opts.rate > 0:
        raise UserError("--rate must be positive")
    if opts.timeout <= 0:
        raise UserError("--timeout must be positive")
    if opts.policy and not Path(opts.policy).is_file():
        raise UserError(f"--policy {opts.policy}: no such file")
    for path in (KAFKA_SH, TEAM_LEAD):
        if not path.exists():
            raise UserError(f"{path} not found (the local stack needs a source checkout)")
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and not shutil.which("java"):
        raise UserError(
            "java not found (Kafka needs Java 17+: apt-get install "
            "openjdk-17-jre-headless, or set JAVA_HOME)"
        )
    prometheus = find_binary(
        opts.prometheus_bin, "SERVICEPULSE_PROMETHEUS_BIN", ("prometheus",), "prometheus"
    )
    alertmanager = find_binary(
        opts.alertmanager_bin,
        "SERVICEPULSE_ALERTMANAGER_BIN",
        ("prometheus-alertmanager", "alertmanager"),
        "prometheus-alertmanager",
    )
    return prometheus, alertmanager
