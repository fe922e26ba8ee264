"""``servicepulse import zendesk FILE``: a team's past as contract JSONL.

Converts a Zendesk incremental ticket-event export (JSON, or JSON lines of
pages) into contract events, one per line, for ``replay``, ``backfill`` and
``simulate --file``. Audits that cannot be read are skipped and counted on stderr.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from collections import Counter
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from streams.connectors.common import ConnectorConfig, PayloadError
from streams.connectors.zendesk_export import convert
from streams.errors import UserError

MAX_DOCUMENT_BYTES = 256 * 1024 * 1024  # one JSON document (a page, or an array of pages)
MAX_PAGE_BYTES = 64 * 1024 * 1024  # one line of a JSONL of pages; a page is a few MB


def _document(path: str) -> Any:
    """The export: one JSON document, or JSON lines of pages (one page per line).

    Read within bounds: a regular file up to ``MAX_DOCUMENT_BYTES`` as one
    document, anything else (a bigger file, a pipe, a device) line by line, each
    line at most ``MAX_PAGE_BYTES``: ``/dev/zero`` is one clear error, not a MemoryError.
    """
    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if stat.S_ISREG(os.fstat(stream.fileno()).st_mode) and size <= MAX_DOCUMENT_BYTES:
                data = stream.read(MAX_DOCUMENT_BYTES + 1)
                try:
                    return orjson.loads(data)
                except orjson.JSONDecodeError as exc:
                    if b"\n" not in data.strip():
                        raise UserError(f"{path} is not JSON: {_first(exc)}") from None
                stream.seek(0)
            return _lines(path, stream)
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None


def _lines(path: str, stream: BinaryIO) -> list[Any]:
    pages: list[Any] = []
    number = 0
    while True:
        line = stream.readline(MAX_PAGE_BYTES + 1)
        if not line:
            return pages
        number += 1
        if len(line) > MAX_PAGE_BYTES:
            raise UserError(f"{path}: line {number} is longer than {MAX_PAGE_BYTES} bytes")
        if not line.strip():
            continue
        try:
            pages.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise UserError(f"{path}: line {number} is not JSON: {_first(exc)}") from None


def _first(exc: Exception) -> str:
    return (str(exc).splitlines() or ["?"])[0][:200]


def command(args: argparse.Namespace) -> int:
    teams: dict[str, str] = {}
    for item in args.team_map:
        key, sep, name = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--team-map {item!r}: expected ID=TEAM")
        teams[f"zendesk:{key.strip()}"] = name.strip()
    document = _document(args.file)
    skipped: Counter[str] = Counter()
    try:
        events = convert(document, ConnectorConfig(teams=teams), skipped)
        lines = [orjson.dumps(e) + b"\n" for e in events]
    except PayloadError as exc:
        raise UserError(f"{args.file}: {exc}") from None
    if args.out in (None, "-"):
        sys.stdout.buffer.write(b"".join(lines))
        sys.stdout.flush()
    else:
        try:
            Path(args.out).write_bytes(b"".join(lines))
        except OSError as exc:
            raise UserError(f"cannot write {args.out}: {exc.strerror}") from None
    skips = ", ".join(f"{reason} {count}" for reason, count in sorted(skipped.items()) if count)
    note = f" (skipped: {skips})" if skips else ""
    print(f"servicepulse: {len(lines)} events from {args.file}{note}", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "import",
        help="convert a product's history export into contract JSONL",
        description="Convert a history export into contract events (JSONL) for replay, "
        "backfill and simulate --file.",
    )
    products = parser.add_subparsers(dest="product", metavar="PRODUCT", required=True)
    zendesk = products.add_parser(
        "zendesk",
        help="a Zendesk incremental ticket-event export (JSON)",
        description="Convert the JSON of GET /api/v2/incremental/ticket_events.json"
        "?include=comment_events (one page, a JSON array of pages, or one page per line) "
        "into contract JSONL. Pages of GET /api/v2/incremental/users.json may be added: "
        "their roles say who is an agent. Unreadable audits are skipped and counted.",
    )
    zendesk.add_argument("file", help="the export (JSON or JSON lines of pages)")
    zendesk.add_argument("--out", metavar="F", help="write the JSONL here (default: stdout)")
    zendesk.add_argument(
        "--team-map",
        action="append",
        default=[],
        metavar="GROUP_ID=TEAM",
        help="name a Zendesk group id, e.g. 360001=billing; repeatable",
    )
    zendesk.set_defaults(func=command)
