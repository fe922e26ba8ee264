"""Fixtures shared by every test; see docs/testing.md.

- ``free_port``: a function giving a free 127.0.0.1 port (``free_port(pair=True)``: the next
  one is free too), so that tests never collide with each other or a running stack;
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

import pytest

from tests.kafka_broker import KafkaBroker
from tests.postgres import PostgresServer
from tests.processes import Processes
from tests.processes import free_port as _free_port


@pytest.fixture(scope="session")
def free_port() -> Callable[..., int]:
    return _free_port


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
