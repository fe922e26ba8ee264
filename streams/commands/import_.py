"""``servicepulse import zendesk FILE``: a team's past as contract JSONL.

Converts a Zendesk incremental ticket-event export (JSON) into contract
events, one per line, for ``replay``, ``backfill`` and ``simulate --file``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from streams.connectors.common import ConnectorConfig, PayloadError
from streams.connectors.zendesk_export import convert
from streams.errors import UserError


def command(args: argparse.Namespace) -> int:
    teams: dict[str, str] = {}
    for item in args.team_map:
        key, sep, name = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--team-map {item!r}: expected ID=TEAM")
        teams[f"zendesk:{key.strip()}"] = name.strip()
    try:
        document = orjson.loads(Path(args.file).read_bytes())
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise UserError(f"{args.file} is not JSON: {str(exc).splitlines()[0]}") from None
    try:
        lines = [orjson.dumps(e) + b"\n" for e in convert(document, ConnectorConfig(teams=teams))]
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
    print(f"servicepulse: {len(lines)} events from {args.file}", file=sys.stderr)
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
        "?include=comment_events (one page, or a JSON array of pages) into contract JSONL.",
    )
    zendesk.add_argument("file", help="the export (JSON)")
    zendesk.add_argument("--out", metavar="F", help="write the JSONL here (default: stdout)")
    zendesk.add_argument(
        "--team-map",
        action="append",
        default=[],
        metavar="GROUP_ID=TEAM",
        help="name a Zendesk group id, e.g. 360001=billing; repeatable",
    )
    zendesk.set_defaults(func=command)
