"""Fixtures shared by every test; see docs/testing.md.

- ``free_port``: a function giving a free 127.0.0.1 port (``free_port(pair=True)``: the next
  one is free too), so that tests never collide with each other or a running stack; the one
  definition is ``tests.processes.free_port`` (scripts and module-level code import it);
- ``policy_factory``: ``policy_factory(first_response="15m", resolution="4h")`` is a parsed
  one-policy ``PolicySet`` (24x7 calendar, every ticket matched) with those targets;
  ``policy_factory(document={...})`` parses a whole policy document instead;
- ``engine_factory``: ``engine, exporter = engine_factory(first_response="15m")`` is an
  ``Engine`` on such a policy counting into a fresh ``Exporter`` (``sink=`` another sink,
  ``policies=`` a ready ``PolicySet``);
- ``processes``: a ``tests.processes.Processes`` logging to the test's tmp_path, stopped after
  the test;
- ``postgres_server``: one real PostgreSQL (deploy/postgres) for the session, on a free port;
  ``postgres_url``: an empty database of it for one test; only tests marked ``postgres``;
- ``kafka_broker``: one real Apache Kafka (deploy/kafka) for the session, on a free port, or
  the broker of $SERVICEPULSE_TEST_BROKER; only tests marked ``kafka`` should ask for it.

Modules to import from: ``tests.support`` (event builders, a recording sink),
``tests.processes`` (ports, processes, HTTP waits), ``tests.prometheus`` (Prometheus and
Alertmanager servers, queries), ``tests.kafka_broker`` (the broker).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from streams.core.engine import Engine
from streams.core.policy import PolicySet
from streams.export.exporter import Exporter
from tests.kafka_broker import KafkaBroker
from tests.postgres import PostgresServer
from tests.processes import Processes
from tests.processes import free_port as _free_port
from tests.support import EngineFactory, PolicyFactory, one_policy


@pytest.fixture(scope="session")
def free_port() -> Callable[..., int]:
    return _free_port


@pytest.fixture(scope="session")
def policy_factory() -> PolicyFactory:
    def make(
        *, document: dict[str, Any] | None = None, calendar: str = "always", **targets: str
    ) -> PolicySet:
        return one_policy(targets, document=document, calendar=calendar)

    return make


@pytest.fixture(scope="session")
def engine_factory() -> EngineFactory:
    def make(
        *, policies: PolicySet | None = None, sink: Any = None, **targets: str
    ) -> tuple[Engine, Exporter]:
        exporter = Exporter()
        engine = Engine(policies or one_policy(targets), exporter if sink is None else sink)
        return engine, exporter

    return make


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(tmp_path / "logs")
    try:
        yield procs
    finally:
        procs.stop()


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    broker = KafkaBroker.from_env(
        port=_free_port(pair=True), state_dir=tmp_path_factory.mktemp("kafka")
    )
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer.start(port=_free_port())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    return postgres_server.new_database()
