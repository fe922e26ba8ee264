"""What every connector shares: timestamps, stable ids, team names, the payload error.

Connectors are pure translators: a product's webhook payload (already
decoded JSON) in, a list of contract event dicts out. No I/O, no state: a
ticket first seen through a later event is created from the payload itself,
with a stable event id, so a repeated assertion is a duplicate the engine
recognises (the ``event_id`` is remembered per ticket).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]


class PayloadError(ValueError):
    """The payload is not what the endpoint expects; the message is the one-line 400 reason."""


@dataclass(frozen=True)
class ConnectorConfig:
    """Choices a team makes once: names for the product's group/team ids, defaults.

    ``teams`` maps ``"<product>:<id>"`` (e.g. ``"zendesk:360001"``) to a team name;
    an id without a name becomes ``"<prefix>-<id>"`` (e.g. ``group-360001``).
    """

    teams: Mapping[str, str] = field(default_factory=dict)
    default_team: str = "unassigned"


DEFAULT_CONFIG = ConnectorConfig()

_CHATWOOT_UTC = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) UTC$")
_SPACE_OFFSET = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)? ?([+-]\d{2}:?\d{2}|Z)$"
)


def rfc3339(value: Any) -> str:
    """A product timestamp -> RFC 3339 with offset (UTC, ``+00:00``).

    Accepts epoch seconds (int/float, or milliseconds when above 10^11), ISO 8601
    with ``Z`` or an offset, Chatwoot's ``"2020-03-03 13:05:57 UTC"`` and the
    ``"2025-09-03 12:56:17.000000000 +0000"`` form of Zendesk's exports. A
    timestamp without an offset is refused: guessing a zone would shift clocks.
    """
    if isinstance(value, bool) or value is None:
        raise PayloadError(f"timestamp {value!r} is missing or not a time")
    if isinstance(value, int | float):
        seconds = value / 1000.0 if value > 1e11 else float(value)
        try:
            moment = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise PayloadError(f"timestamp {value!r} out of range") from None
        return moment.isoformat()
    if not isinstance(value, str):
        raise PayloadError(f"timestamp {value!r} is not a string or a number")
    text = value.strip()
    if text.isdigit():
        return rfc3339(int(text))
    match = _CHATWOOT_UTC.match(text)
    if match:
        text = f"{match.group(1)}T{match.group(2)}+00:00"
    else:
        match = _SPACE_OFFSET.match(text)
        if match:
            date, time, fraction, offset = match.groups()
            fraction = (fraction or "")[:7]  # Python parses at most microseconds
            if offset != "Z" and ":" not in offset:
                offset = f"{offset[:3]}:{offset[3:]}"
            text = f"{date}T{time}{fraction}{offset}"
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise PayloadError(f"timestamp {value!r} is not a recognised date-time") from None
    if moment.tzinfo is None:
        raise PayloadError(f"timestamp {value!r} has no offset")
    return moment.astimezone(UTC).isoformat()


def stable_id(*parts: Any) -> str:
    """An event id built from the product's own ids: the same delivery gives the same id.

    Readable (``zendesk:123:comment:456``) while short; hashed beyond 200 characters
    (the contract allows 256).
    """
    text = ":".join(str(part) for part in parts)
    if len(text) <= 200:
        return text
    return f"{parts[0]}:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"


def team_name(config: ConnectorConfig, product: str, prefix: str, ident: Any, name: Any) -> str:
    """A team label: the configured name for the id, else the product's name, else ``prefix-id``."""
    if ident not in (None, ""):
        mapped = config.teams.get(f"{product}:{ident}")
        if mapped:
            return mapped
    if isinstance(name, str) and name.strip():
        return name.strip()[:64]
    if ident not in (None, ""):
        return f"{prefix}-{ident}"[:64]
    return config.default_team


def require(mapping: Any, key: str, where: str) -> Any:
    """``mapping[key]``, or a PayloadError naming what is missing."""
    if not isinstance(mapping, dict):
        raise PayloadError(f"{where} is not a JSON object")
    value = mapping.get(key)
    if value is None or value == "":
        raise PayloadError(f"{where}.{key} is missing")
    return value


def obj(mapping: Any, key: str) -> dict[str, Any]:
    """``mapping[key]`` when it is an object, else an empty one (optional parts of payloads)."""
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return value if isinstance(value, dict) else {}


def ident(value: Any, where: str) -> str:
    """A product id (int or string) as a non-empty string."""
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise PayloadError(f"{where} is not an id")
    return str(value)


def event(type_: str, event_id: str, ticket_id: str, ts: str, **fields: Any) -> Event:
    """One contract event dict, optional fields left out when None."""
    data: Event = {"event_id": event_id, "type": type_, "ticket_id": ticket_id, "ts": ts}
    data.update({key: value for key, value in fields.items() if value is not None})
    return data


def priority(value: Any) -> str:
    """A product priority -> the contract's (urgent, high, normal, low); unknown -> normal."""
    text = re.sub(r"^\d+\s+", "", str(value or "").strip().lower())  # Zammad: "3 high"
    return text if text in ("urgent", "high", "low") else "normal"
