"""A real single-node Apache Kafka broker for the tests (deploy/kafka/kafka.sh).

    broker = KafkaBroker(port=19092, state_dir=tmp_path / "kafka")
    broker.start()            # fetches the jars on first use, formats, waits
    broker.bootstrap          # "127.0.0.1:19092"
    broker.stop()             # SIGTERM, then SIGKILL; no process left

If the environment variable SERVICEPULSE_TEST_BROKER is set (e.g.
"127.0.0.1:9092"), no broker is started: ``start()`` only waits until that
broker accepts connections, ``stop()`` does nothing and ``bootstrap`` is that
address. ``KafkaBroker.from_env(...)`` reads it; the constructor takes it as
``external=``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
KAFKA_SH = REPO_ROOT / "deploy" / "kafka" / "kafka.sh"
EXTERNAL_ENV = "SERVICEPULSE_TEST_BROKER"


class KafkaBrokerError(RuntimeError):
    """kafka.sh failed; the message carries its output."""


def _port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _split_hostport(address: str) -> tuple[str, int]:
    first = address.split(",")[0].strip()
    host, _, port = first.rpartition(":")
    return (host.strip("[]") or "127.0.0.1"), int(port)


class KafkaBroker:
    """Starts and stops one local broker with deploy/kafka/kafka.sh."""

    def __init__(
        self,
        port: int = 19092,
        state_dir: str | os.PathLike[str] | None = None,
        *,
        controller_port: int | None = None,
        start_timeout: float = 90.0,
        external: str | None = None,
    ) -> None:
        self.port = int(port)
        self.controller_port = int(controller_port) if controller_port else self.port + 1
        self.state_dir = Path(state_dir) if state_dir else REPO_ROOT / "var" / f"kafka-test-{port}"
        self.start_timeout = float(start_timeout)
        self.external = external or None
        self._started = False

    @classmethod
    def from_env(
        cls, port: int = 19092, state_dir: str | os.PathLike[str] | None = None, **kwargs: object
    ) -> KafkaBroker:
        """Like the constructor, but uses $SERVICEPULSE_TEST_BROKER when it is set."""
        return cls(port, state_dir, external=os.environ.get(EXTERNAL_ENV) or None, **kwargs)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ info
    @property
    def bootstrap(self) -> str:
        """bootstrap.servers for clients, e.g. "127.0.0.1:19092"."""
        return self.external or f"127.0.0.1:{self.port}"

    @property
    def is_external(self) -> bool:
        return self.external is not None

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "kafka.pid"

    @property
    def properties_file(self) -> Path:
        return self.state_dir / "server.properties"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def pid(self) -> int | None:
        """PID of the broker started here, from its pid file (None if none)."""
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            KAFKA_PORT=str(self.port),
            KAFKA_CONTROLLER_PORT=str(self.controller_port),
            KAFKA_STATE_DIR=str(self.state_dir),
            KAFKA_START_TIMEOUT=str(int(self.start_timeout)),
        )
        return env

    def _run(self, action: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(KAFKA_SH), action],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    # ------------------------------------------------------------- lifecycle
    def fetch(self, timeout: float = 900.0) -> None:
        """Resolve the broker jars from Maven Central (quick when already done)."""
        proc = self._run("fetch", timeout)
        if proc.returncode != 0:
            raise KafkaBrokerError(f"kafka.sh fetch failed:\n{proc.stdout}{proc.stderr}")

    def start(self) -> KafkaBroker:
        """Start the broker (or wait for the external one) until it answers."""
        if self.is_external:
            host, port = _split_hostport(self.bootstrap)
            deadline = time.monotonic() + self.start_timeout
            while not _port_open(host, port):
                if time.monotonic() > deadline:
                    raise KafkaBrokerError(
                        f"{EXTERNAL_ENV}={self.external}: nothing answers at {host}:{port}"
                    )
                time.sleep(0.5)
            return self
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # kafka.sh fetches on first use; allow for that on top of the start timeout.
        proc = self._run("start", self.start_timeout + 900.0)
        if proc.returncode != 0:
            raise KafkaBrokerError(f"kafka.sh start failed:\n{proc.stdout}{proc.stderr}")
        self._started = True
        return self

    def stop(self) -> None:
        """Stop the broker started here (SIGTERM, then SIGKILL). No-op if external."""
        if self.is_external:
            return
        proc = self._run("stop", 120.0)
        self._started = False
        if proc.returncode != 0:
            raise KafkaBrokerError(f"kafka.sh stop failed:\n{proc.stdout}{proc.stderr}")

    def is_running(self) -> bool:
        if self.is_external:
            return _port_open(*_split_hostport(self.bootstrap))
        return self._run("status", 30.0).returncode == 0

    def processes(self) -> list[int]:
        """PIDs of every live process running this broker's server.properties."""
        needle = str(self.properties_file).encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"kafka.Kafka" in cmdline and needle in cmdline:
                found.append(int(entry.name))
        return found

    def __enter__(self) -> KafkaBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f"external {self.external}" if self.is_external else str(self.state_dir)
        return f"KafkaBroker({self.bootstrap}, {where})"
