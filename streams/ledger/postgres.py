"""The shared ledger: a PostgreSQL database (psycopg 3), for the stack, compose and workers.

A batch is one ``INSERT ... SELECT * FROM unnest(arrays) ON CONFLICT DO UPDATE`` per table:
one round trip, the values bound as one array per column. Creating the tables takes a
transaction-scoped advisory lock, so processes starting at once (a worker group) do not
race on ``CREATE TABLE IF NOT EXISTS``. Upserts keyed by (ticket, target, cycle) make a
redelivered or replayed record leave one row: writers on several partitions, or the same
partition after a rebalance, stay exact.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from streams.errors import UserError
from streams.ledger.schema import SCHEMA_VERSION, VERSION_TABLE, Table, unnest_upsert_statement
from streams.ledger.sql import SqlStore

SCHEMA_LOCK = 0x5E1C_1ED9  # pg_advisory_xact_lock key while creating the tables
CONNECT_TIMEOUT = 10  # seconds


def without_password(url: str) -> str:
    """The URL as it may be shown: its password replaced by ``***``."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class PostgresStore(SqlStore):
    dialect = "postgres"
    placeholder = "%s"

    def __init__(self, url: str, create: bool = True) -> None:
        try:
            import psycopg
        except ImportError:
            raise UserError(
                "a PostgreSQL ledger needs psycopg: pip install 'psycopg[binary]>=3.1'"
            ) from None
        self.where = without_password(url)
        self._connect = lambda: psycopg.connect(
            url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
        )  # autocommit: each write is one explicit transaction()
        try:
            self.connection = self._connect()
            if create:
                self._ensure_schema()
            else:
                with self.transaction() as connection:
                    connection.execute("SELECT version FROM ledger_schema").fetchone()
        except psycopg.errors.UndefinedTable:
            raise UserError(f"no ledger in {self.where} (no ledger tables)") from None
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UserError(f"cannot use the ledger {self.where}: {first}") from None

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One transaction, on a new connection if the last one was lost (a server restart:
        the ledger's next flush retries on it)."""
        if self.connection.broken or self.connection.closed:
            self.connection = self._connect()
        with self.connection.transaction():
            yield self.connection

    def _ensure_schema(self) -> None:
        """Create the tables unless this version's are there (no DDL beside running writers).

        ``CREATE ... IF NOT EXISTS`` still takes table locks: a worker starting while the
        others write deadlocked with them (seen in tests/integration/test_worker_ledger.py).
        """
        with self.transaction() as connection:
            if connection.execute("SELECT to_regclass(%s)", (VERSION_TABLE,)).fetchone()[0]:
                found = connection.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()
                if found is not None and found[0] == SCHEMA_VERSION:
                    return
        with self.transaction() as connection:
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            super()._ensure_schema()  # its transaction() nests: a savepoint inside this one

    def upsert(self, cursor: Any, table: Table, rows: list[tuple[object, ...]]) -> None:
        """The whole batch in one statement: a row per statement costs a round trip each."""
        columns = [list(column) for column in zip(*rows, strict=True)]
        for values, name in zip(columns, table.columns, strict=True):
            if table.types[name] == "real":  # one array type: 600 and 600.5 both as floats
                values[:] = [None if v is None else float(v) for v in values]
        cursor.execute(unnest_upsert_statement(table), columns)
