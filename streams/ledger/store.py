"""A ledger store: the tables of schema.py in one database, written and read with bound SQL.

``open_store(target)`` opens SQLite (a file path; sqlite.py) or PostgreSQL (a
``postgresql://`` URL; postgres.py). Both are a ``SqlStore``: the same statements, each
dialect only says how to connect, its placeholder and how to run one transaction.

    store = open_store("var/serve/ledger.sqlite3")
    store.write([outcome, stint])            # one transaction, upserts by key
    store.prune(horizon)                     # rows known before ``horizon`` go
    rows = store.select(parse_filter(kind="outcome", outcome="breached"))
    store.close()
"""

from __future__ import annotations

from streams.ledger.sql import SqlStore

DEFAULT_FILE = "ledger.sqlite3"  # in serve's --data-dir
URL_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(target: str) -> bool:
    return target.startswith(URL_SCHEMES)


def open_store(target: str, create: bool = True) -> SqlStore:
    """The store at ``target``: a ``postgresql://`` URL or an SQLite file path.

    ``create``: make the database file and the tables when absent (writers); readers pass
    False and get a one-line UserError for a ledger that does not exist.
    """
    if is_postgres(target):
        from streams.ledger.postgres import PostgresStore

        return PostgresStore(target, create)
    from streams.ledger.sqlite import SqliteStore

    return SqliteStore(target, create)


__all__ = ["DEFAULT_FILE", "SqlStore", "is_postgres", "open_store"]
