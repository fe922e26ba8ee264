"""The embedded ledger: one SQLite file (the standard library's sqlite3).

Write-ahead log and ``synchronous=NORMAL``: a batch costs one append to the log, readers
(``servicepulse outcomes``, the read endpoints) do not block the writer. A reader opens the
file read-only and never creates it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from streams.errors import UserError
from streams.ledger.sql import SqlStore

BUSY_TIMEOUT = 10.0  # seconds a statement waits for another connection's write lock


class SqliteStore(SqlStore):
    dialect = "sqlite"
    placeholder = "?"

    def __init__(self, path: str | Path, create: bool = True) -> None:
        self.path = Path(path)
        self.where = str(path)
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(
                    self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
                )
            else:
                if not self.path.is_file():
                    raise UserError(f"no ledger at {path}")
                uri = f"{self.path.absolute().as_uri()}?mode=ro"
                connection = sqlite3.connect(
                    uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None,
                    check_same_thread=False,
                )  # fmt: skip
            self.connection = connection
            if create:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                self._ensure_schema()
            else:
                connection.execute("SELECT version FROM ledger_schema").fetchone()
        except sqlite3.Error as exc:
            raise UserError(f"cannot use the ledger {path}: {exc}") from None
        except OSError as exc:
            raise UserError(f"cannot use the ledger {path}: {exc.strerror}") from None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN`` ... ``COMMIT``, or ``ROLLBACK`` when the block raises."""
        connection = self.connection
        connection.execute("BEGIN")
        try:
            yield connection
        except BaseException:
            if connection.in_transaction:  # SQLite may have rolled back itself (disk full)
                connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
