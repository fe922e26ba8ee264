"""A real PostgreSQL for the tests, on a free loopback port (deploy/postgres/postgres.sh).

    server = PostgresServer.start(state_dir, port)   # initdb + pg_ctl, Debian's packages
    url = server.new_database()                      # postgresql://... of an empty database
    server.stop()

The ``postgres_server`` fixture (tests/conftest.py) starts one for the session and the
``postgres_url`` fixture gives each test a database of its own. Without Debian's
``postgresql`` package (initdb) the tests skip and say so. The ``postgres`` marker goes on
such tests.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "deploy" / "postgres" / "postgres.sh"
_numbers = itertools.count(1)


def have_postgres() -> bool:
    """Whether Debian's PostgreSQL server binaries are installed."""
    return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb"))


@dataclass
class PostgresServer:
    state_dir: Path
    port: int
    url: str  # the server's own database

    @classmethod
    def start(cls, port: int) -> PostgresServer:
        """Start a new server (skips the test without the binaries)."""
        if not have_postgres():
            pytest.skip("PostgreSQL not installed (Debian: apt-get install postgresql)")
        # not under pytest's tmp (mode 0700 for root): run as root, the server's own user
        # (postgres) must reach its data directory
        state_dir = Path(tempfile.mkdtemp(prefix="servicepulse-pg-"))
        done = subprocess.run(
            ["bash", str(SCRIPT), "start"],
            env={**os.environ, "PG_STATE_DIR": str(state_dir), "PG_PORT": str(port),
                 "PG_FSYNC": "off"},
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return cls(state_dir, port, done.stdout.strip())

    def new_database(self) -> str:
        """A new empty database on this server; its URL."""
        import psycopg

        name = f"test_{os.getpid()}_{next(_numbers)}"
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def stop(self) -> None:
        subprocess.run(
            ["bash", str(SCRIPT), "stop"],
            env={**os.environ, "PG_STATE_DIR": str(self.state_dir), "PG_PORT": str(self.port)},
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(self.state_dir, ignore_errors=True)
