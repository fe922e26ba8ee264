"""``servicepulse serve`` as a process for the tests, and its /metrics as one sample mapping.

    serve = ServeProcess(processes, tmp_path / "data", "--team-map", "zendesk:1=support",
                         token=TOKEN, policy=policy, secrets={"zendesk": SECRET}).start()
    serve.post("/v1/events", body)           # Authorization: Bearer <token> unless given
    found = serve.metrics()                  # {(name, frozenset(labels)): value}
    value(found, "servicepulse_tickets_created_total", team="billing")
    serve.kill()                             # SIGKILL; start() again: same port and data dir
    assert serve.figures() == replay(events, policy, tmp_path)

``processes`` (tests/conftest.py's fixture, or a ``tests.processes.Processes``) logs each
start to its own file and stops what is still running at the end.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import Processes, free_port, stop, wait_until_up

TOKEN = "servicepulse-test-token"
# targets no test reaches: every figure but the outcomes is the same on any clock
LONG_TARGETS = """
policies:
  - name: default
    match: {}
    calendar: always
    targets: {first_response: 30d, next_reply: 30d, resolution: 30d}
"""
# depend on the moment of the scrape (wall clock vs replay's event clock) or on delivery
TIME_DEPENDENT = (
    "servicepulse_oldest_open_ticket_age_seconds",
    "servicepulse_oldest_unanswered_ticket_age_seconds",
    "servicepulse_sla_next_deadline_seconds",
    "servicepulse_event_lag_seconds",
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_samples(text: str) -> Samples:
    """Every ``servicepulse_`` sample of a Prometheus text exposition."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("servicepulse_")
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the series of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, series), v in samples.items() if n == name and wanted <= series)


def comparable(samples: Samples) -> Samples:
    """Without the TIME_DEPENDENT series: what serve and replay of the same events share."""
    return {key: v for key, v in samples.items() if not key[0].startswith(TIME_DEPENDENT)}


def replay(events: list[dict[str, Any]], policy: Path, tmp: Path) -> Samples:
    """The comparable figures of ``servicepulse replay`` of ``events`` (tmp/events.jsonl)."""
    path = tmp / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "replay", str(path), "--policy", str(policy)],
        capture_output=True,
        check=True,
    )
    return comparable(parse_samples(done.stdout.decode()))


class ServeProcess:
    """One ``servicepulse serve`` on a free port; ``options`` are added to its command line."""

    def __init__(
        self,
        processes: Processes,
        data_dir: Path,
        *options: str,
        token: str = TOKEN,
        policy: Path | None = None,
        secrets: Mapping[str, str] | None = None,
        grace: float | None = None,
        tick: float = 0.2,
    ) -> None:
        self.processes = processes
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = token
        self.args = [
            sys.executable, "-m", "streams.cli", "serve", "--port", str(self.port),
            "--token", token, "--data-dir", str(data_dir), "--tick", str(tick),
        ]  # fmt: skip
        if policy is not None:
            self.args += ["--policy", str(policy)]
        for product, secret in (secrets or {}).items():
            self.args += ["--webhook-secret", f"{product}={secret}"]
        if grace is not None:
            self.args += ["--grace", str(grace)]
        self.args += options
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, file_limit: int | None = None) -> ServeProcess:
        """Start (again: same port, same data dir) and wait until /health answers.
        ``file_limit``: RLIMIT_FSIZE of the process, bytes (EFBIG past it, as on a full disk)."""
        self.starts += 1
        name = f"serve-{self.port}" + (f"-{self.starts}" if self.starts > 1 else "")
        kwargs: dict[str, Any] = {}
        if file_limit is not None:

            def limit_files() -> None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

            kwargs["preexec_fn"] = limit_files
        self.process = self.processes.start(name, self.args, **kwargs)
        try:
            wait_until_up(f"{self.url}/health", self.process, "serve")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.processes.tail()}") from None
        return self

    def kill(self) -> None:
        """SIGKILL: nothing flushed, nothing closed."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM (SIGKILL after 10 s)."""
        if self.process is not None:
            stop([self.process])

    def post(self, path: str, body: bytes, **headers: str | None) -> requests.Response:
        """POST ``body`` with ``Authorization: Bearer <token>`` unless ``headers`` give one
        (``Authorization=None``: none); a header given None is not sent."""
        headers.setdefault("Authorization", f"Bearer {self.token}")
        sent = {k: v for k, v in headers.items() if v is not None}
        return requests.post(f"{self.url}{path}", data=body, headers=sent, timeout=30)

    def metrics(self) -> Samples:
        """Every ``servicepulse_`` sample of /metrics."""
        return parse_samples(requests.get(f"{self.url}/metrics", timeout=10).text)

    def figures(self) -> Samples:
        """/metrics without the TIME_DEPENDENT series: comparable with ``replay``."""
        return comparable(self.metrics())
