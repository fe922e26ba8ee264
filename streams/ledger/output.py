"""Ledger rows as a reader sees them: CSV with a header, or JSON objects.

A row shows its record's fields (streams/core/records.py) in their order. Instants
(``started``, ``deadline``, ``stopped``, ``ended``, ``ts``) are RFC 3339 in UTC
(``2026-11-23T09:15:00Z``); SLA-clock durations (``late``, ``seconds``, ``ola``) are
seconds to the millisecond, a whole number printed without a fraction; an absent value is
empty in CSV and ``null`` in JSON. With a ``--ticket-url`` template a last column ``url``
links each row to its ticket in the helpdesk: ``{ticket_id}`` is replaced by the URL-quoted
id.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from streams.ledger.schema import Table

INSTANTS = frozenset({"started", "deadline", "stopped", "ended", "ts"})
FORMATS = ("csv", "json")
PLACEHOLDER = "{ticket_id}"


def check_ticket_url(template: str) -> str:
    """The template, or ValueError when it has no ``{ticket_id}``."""
    if PLACEHOLDER not in template:
        raise ValueError(f"the ticket URL template must contain {PLACEHOLDER}")
    return template


def ticket_url(template: str, ticket_id: str) -> str:
    return template.replace(PLACEHOLDER, urllib.parse.quote(ticket_id, safe=""))


def instant(ts: float) -> str:
    """POSIX seconds -> RFC 3339 UTC, milliseconds only when there is a fraction."""
    moment = datetime.fromtimestamp(ts, UTC)
    spec = "seconds" if ts == int(ts) else "milliseconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


def shown(field: str, value: Any) -> Any:
    """A stored value as a row shows it (JSON types; None stays None)."""
    if value is None:
        return None
    if field in INSTANTS:
        return instant(float(value))
    if isinstance(value, float):  # to the millisecond, as the instants
        value = round(value, 3)
        return int(value) if value.is_integer() else value
    return value


def row_objects(
    table: Table, rows: Iterable[Sequence[Any]], template: str | None = None
) -> Iterator[dict[str, Any]]:
    """Each stored row (``Table.fields`` order) as a dict of shown values, ``url`` last."""
    fields = table.fields
    for row in rows:
        shown_row = {field: shown(field, value) for field, value in zip(fields, row, strict=True)}
        if template is not None:
            shown_row["url"] = ticket_url(template, str(shown_row["ticket_id"]))
        yield shown_row


def header(table: Table, template: str | None = None) -> list[str]:
    return [*table.fields, *(["url"] if template is not None else [])]


def csv_lines(
    table: Table, rows: Iterable[Sequence[Any]], template: str | None = None
) -> Iterator[str]:
    """The CSV text, a header line then one line per row ("\\n" line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header(table, template))
    yield buffer.getvalue()
    for item in row_objects(table, rows, template):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(["" if value is None else value for value in item.values()])
        yield buffer.getvalue()


def json_lines(
    table: Table, rows: Iterable[Sequence[Any]], template: str | None = None
) -> Iterator[str]:
    """A JSON array, one object per line."""
    yield "["
    separator = "\n"
    for item in row_objects(table, rows, template):
        yield separator + json.dumps(item, ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


def render(
    table: Table, rows: Iterable[Sequence[Any]], fmt: str, template: str | None = None
) -> Iterator[str]:
    """The rows in ``fmt`` (csv or json), as chunks of text."""
    lines = csv_lines if fmt == "csv" else json_lines
    return lines(table, rows, template)
