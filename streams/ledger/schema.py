"""The ledger's tables: one per record kind, their columns, keys and the SQL that writes them.

Each table holds the fields of its record type (streams/core/records.py), in the same
order, plus ``at``: when the fact became known, in event time. ``at`` is what the time
filters (``--from``/``--to``) and the retention look at:

* an outcome: met -> when its clock stopped; breached -> its deadline (or, without one,
  when its clock stopped, else started);
* a stint: when it ended, else when it started;
* a survey answer or a QA review: its event time.

Every statement is built here from these constant names only; values always travel as
parameters bound by the driver (sqlite3's ``?``, psycopg's ``%s``).
"""

from __future__ import annotations

from dataclasses import dataclass

from streams.core.records import Outcome, Record, Review, Stint, Survey

SCHEMA_VERSION = 1
VERSION_TABLE = "ledger_schema"


@dataclass(frozen=True, eq=False)  # one object per table: hashed by identity
class Table:
    """One record kind's table: its name, record type, key columns and column types."""

    kind: str  # outcome / stint / survey / review, as ``--kind`` names it
    name: str
    record: type
    key: tuple[str, ...]
    types: dict[str, str]  # column -> portable type: text, int, real

    @property
    def fields(self) -> tuple[str, ...]:
        """The record's fields, in its order (what a row shows)."""
        return tuple(self.record._fields)  # type: ignore[attr-defined]

    @property
    def columns(self) -> tuple[str, ...]:
        """Every stored column: the record's fields, then ``at``."""
        return (*self.fields, "at")


def _types(record: type, ints: tuple[str, ...], reals: tuple[str, ...]) -> dict[str, str]:
    types = {name: "text" for name in record._fields}  # type: ignore[attr-defined]
    types.update({name: "int" for name in ints})
    types.update({name: "real" for name in (*reals, "at")})
    return types


OUTCOMES = Table(
    "outcome",
    "ledger_outcomes",
    Outcome,
    ("ticket_id", "target", "cycle"),
    _types(Outcome, ("cycle",), ("started", "deadline", "stopped", "late")),
)
STINTS = Table(
    "stint",
    "ledger_stints",
    Stint,
    ("ticket_id", "seq"),
    _types(Stint, ("seq",), ("started", "ended", "seconds", "ola")),
)
SURVEYS = Table(
    "survey", "ledger_surveys", Survey, ("event_id",), _types(Survey, ("score",), ("ts",))
)
REVIEWS = Table(
    "review", "ledger_reviews", Review, ("event_id",), _types(Review, (), ("ts", "score"))
)
TABLES = (OUTCOMES, STINTS, SURVEYS, REVIEWS)
BY_KIND = {table.kind: table for table in TABLES}
KINDS = tuple(BY_KIND)
_BY_RECORD = {table.record: table for table in TABLES}

# Portable types -> each dialect's column type.
SQL_TYPES = {
    "sqlite": {"text": "TEXT", "int": "INTEGER", "real": "REAL"},
    "postgres": {"text": "TEXT", "int": "BIGINT", "real": "DOUBLE PRECISION"},
}
NOT_NULL = {"ticket_id", "target", "cycle", "seq", "event_id", "team", "at"}


def table_of(record: Record) -> Table:
    return _BY_RECORD[type(record)]


def known_at(record: Record) -> float:
    """When the record's fact became known, in event time (the ``at`` column)."""
    if isinstance(record, Outcome):
        if record.outcome == "breached" and record.deadline is not None:
            return record.deadline
        return record.stopped if record.stopped is not None else record.started
    if isinstance(record, Stint):
        return record.ended if record.ended is not None else record.started
    return record.ts


def row_of(record: Record) -> tuple[object, ...]:
    """The values of one table row, in ``Table.columns`` order."""
    return (*record, known_at(record))


def create_statements(dialect: str) -> list[str]:
    """``CREATE TABLE IF NOT EXISTS`` for every table, with an index on ``at`` (the time
    filters and the retention; one index only: each costs every write)."""
    types = SQL_TYPES[dialect]
    statements = [f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)"]
    for table in TABLES:
        columns = ", ".join(
            f"{name} {types[table.types[name]]}{' NOT NULL' if name in NOT_NULL else ''}"
            for name in table.columns
        )
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {table.name} "
            f"({columns}, PRIMARY KEY ({', '.join(table.key)}))"
        )
        statements.append(f"CREATE INDEX IF NOT EXISTS {table.name}_at ON {table.name} (at)")
    return statements


def upsert_statement(table: Table, placeholder: str) -> str:
    """Insert a row, or replace every non-key column of the row with the same key."""
    columns = table.columns
    values = ", ".join(placeholder for _ in columns)
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in table.key)
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({values}) "
        f"ON CONFLICT ({', '.join(table.key)}) DO UPDATE SET {updates}"
    )


def unnest_upsert_statement(table: Table) -> str:
    """PostgreSQL: upsert every row of a batch in one statement, one array per column
    (``unnest(%s::text[], ...)``); the rows' keys must be distinct."""
    types = SQL_TYPES["postgres"]
    arrays = ", ".join(f"%s::{types[table.types[name]]}[]" for name in table.columns)
    updates = ", ".join(
        f"{name} = excluded.{name}" for name in table.columns if name not in table.key
    )
    return (
        f"INSERT INTO {table.name} ({', '.join(table.columns)}) SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({', '.join(table.key)}) DO UPDATE SET {updates}"
    )


def prune_statements(placeholder: str) -> list[str]:
    """Delete the rows known before a horizon (one parameter), table by table."""
    return [f"DELETE FROM {table.name} WHERE at < {placeholder}" for table in TABLES]
