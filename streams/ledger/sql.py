"""``SqlStore``: the statements every ledger dialect shares (sqlite.py, postgres.py)."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

from streams.core.records import Record, key
from streams.errors import UserError
from streams.ledger.query import Filter, select_statement
from streams.ledger.schema import (
    SCHEMA_VERSION,
    TABLES,
    VERSION_TABLE,
    Table,
    create_statements,
    prune_statements,
    row_of,
    table_of,
    upsert_statement,
)


class SqlStore:
    """The statements every dialect shares; a subclass sets ``connection`` and ``dialect``."""

    dialect = ""
    placeholder = ""
    where = ""  # the store, for messages (a path, or a URL without its password)
    connection: Any

    def transaction(self) -> AbstractContextManager[Any]:
        """A context committing on success, rolling back on an exception."""
        raise NotImplementedError

    def _ensure_schema(self) -> None:
        """Create the tables when absent; refuse a schema newer than this code knows."""
        with self.transaction():
            cursor = self.connection.cursor()
            for statement in create_statements(self.dialect):
                cursor.execute(statement)
            cursor.execute(f"SELECT version FROM {VERSION_TABLE}")
            found = cursor.fetchone()
            if found is None:
                sql = f"INSERT INTO {VERSION_TABLE} (version) VALUES ({self.placeholder})"
                cursor.execute(sql, (SCHEMA_VERSION,))
            elif found[0] > SCHEMA_VERSION:
                raise UserError(
                    f"the ledger at {self.where} has schema version {found[0]}, newer than "
                    f"this servicepulse knows ({SCHEMA_VERSION}): upgrade servicepulse"
                )

    def write(self, records: Iterable[Record]) -> int:
        """Upsert ``records`` in one transaction; of one key, the last one is the row.

        Returns the rows written (records of a key repeated in ``records`` count once).
        """
        by_table: dict[Table, dict[tuple[str, str, int], tuple[object, ...]]] = {}
        for record in records:
            by_table.setdefault(table_of(record), {})[key(record)] = row_of(record)
        with self.transaction():
            cursor = self.connection.cursor()
            for table, rows in by_table.items():
                self.upsert(cursor, table, list(rows.values()))
        return sum(map(len, by_table.values()))

    def upsert(self, cursor: Any, table: Table, rows: list[tuple[object, ...]]) -> None:
        """Insert or replace ``rows`` (distinct keys) of ``table``: one statement per row."""
        cursor.executemany(upsert_statement(table, self.placeholder), rows)

    def prune(self, horizon: float) -> int:
        """Delete every row known (``at``) before ``horizon``; returns how many."""
        deleted = 0
        with self.transaction():
            cursor = self.connection.cursor()
            for statement in prune_statements(self.placeholder):
                cursor.execute(statement, (horizon,))
                deleted += max(cursor.rowcount, 0)
        return deleted

    def newest(self) -> float:
        """The latest ``at`` of any row (-inf when empty): where the retention counts from."""
        latest = float("-inf")
        with self.transaction():
            cursor = self.connection.cursor()
            for table in TABLES:
                cursor.execute(f"SELECT max(at) FROM {table.name}")
                found = cursor.fetchone()[0]
                if found is not None and found > latest:
                    latest = float(found)
        return latest

    def select(self, query: Filter) -> list[tuple[Any, ...]]:
        """The rows of ``query.kind`` matching it, in ``Table.fields`` order, oldest first."""
        sql, params = select_statement(query, self.placeholder)
        with self.transaction():
            cursor = self.connection.cursor()
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]

    def count(self, kind: str) -> int:
        table = next(t for t in TABLES if t.kind == kind)
        with self.transaction():
            cursor = self.connection.cursor()
            cursor.execute(f"SELECT count(*) FROM {table.name}")
            return int(cursor.fetchone()[0])

    def close(self) -> None:
        self.connection.close()
