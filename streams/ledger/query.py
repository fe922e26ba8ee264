"""What a reader asks the ledger: one record kind, filtered, and the SQL that selects it.

``parse_filter`` turns the options of ``servicepulse outcomes`` and the query parameters of
``GET /v1/outcomes`` (strings) into a ``Filter``, or raises ``ValueError`` with a one-line
reason. ``select_statement`` builds the SELECT with placeholders; the values are bound by
the driver.

Times: ``since``/``until`` bound the ``at`` column (schema.py), half-open ``[since, until)``.
A time is an RFC 3339 timestamp with offset (``2026-11-23T09:00:00Z``) or a date
(``2026-11-23``, midnight UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from streams.core.events import Rejected, parse_ts
from streams.core.vocabulary import OUTCOMES, TARGETS
from streams.ledger.schema import BY_KIND, KINDS, Table

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# which kinds have the column a filter looks at
_APPLIES = {
    "target": ("outcome",),
    "outcome": ("outcome", "stint"),
    "agent": ("outcome", "survey", "review"),
}


@dataclass(frozen=True)
class Filter:
    kind: str = "outcome"
    team: str | None = None
    target: str | None = None
    outcome: str | None = None
    agent: str | None = None
    ticket_id: str | None = None
    since: float | None = None
    until: float | None = None
    limit: int | None = None

    @property
    def table(self) -> Table:
        return BY_KIND[self.kind]


def parse_time(name: str, text: str) -> float:
    """A date (midnight UTC) or an RFC 3339 timestamp with offset -> POSIX seconds."""
    text = text.strip()
    if _DATE.fullmatch(text):
        try:
            return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()
        except ValueError:
            raise ValueError(f"{name} {text!r} is not a valid date") from None
    try:
        return parse_ts(text)
    except Rejected:
        raise ValueError(
            f"{name} {text[:40]!r} is not a date (2026-11-23) or a timestamp with offset "
            "(2026-11-23T09:00:00Z)"
        ) from None


def parse_filter(
    kind: str | None = None,
    team: str | None = None,
    target: str | None = None,
    outcome: str | None = None,
    agent: str | None = None,
    since: str | None = None,
    until: str | None = None,
    ticket_id: str | None = None,
    limit: int | None = None,
) -> Filter:
    """The filter of these option values (None or "": not given); ValueError if one is bad."""
    kind = kind or "outcome"
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if target and target not in TARGETS:
        raise ValueError(f"target {target!r} is not one of {', '.join(TARGETS)}")
    if outcome and outcome not in OUTCOMES:
        raise ValueError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    for name, value in (("target", target), ("outcome", outcome), ("agent", agent)):
        if value and kind not in _APPLIES[name]:
            kinds = " or ".join(_APPLIES[name])
            raise ValueError(f"the {name} filter applies to kind {kinds}, not {kind}")
    start = parse_time("from", since) if since else None
    end = parse_time("to", until) if until else None
    if start is not None and end is not None and start >= end:
        raise ValueError("from must be before to")
    return Filter(
        kind,
        team or None,
        target or None,
        outcome or None,
        agent or None,
        ticket_id or None,
        start,
        end,
        limit,
    )


def select_statement(query: Filter, placeholder: str) -> tuple[str, list[object]]:
    """SELECT the kind's fields matching ``query``, oldest first; with its parameters."""
    table = query.table
    conditions: list[str] = []
    params: list[object] = []
    for column in ("team", "target", "outcome", "agent", "ticket_id"):
        value = getattr(query, column)
        if value is not None:
            conditions.append(f"{column} = {placeholder}")
            params.append(value)
    if query.since is not None:
        conditions.append(f"at >= {placeholder}")
        params.append(query.since)
    if query.until is not None:
        conditions.append(f"at < {placeholder}")
        params.append(query.until)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    order = ", ".join(("at", *table.key))
    sql = f"SELECT {', '.join(table.fields)} FROM {table.name}{where} ORDER BY {order}"
    if query.limit is not None:
        sql += f" LIMIT {placeholder}"
        params.append(query.limit)
    return sql, params
