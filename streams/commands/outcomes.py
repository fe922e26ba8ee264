"""``servicepulse outcomes``: the ledger's rows, filtered, as CSV or JSON (docs/ledger.md).

    servicepulse outcomes --data-dir /var/lib/servicepulse --outcome breached --from 2026-11-16
    servicepulse outcomes --ledger postgresql://sp@db/sp --kind survey --team billing --format json

One record kind at a time (``--kind``, default outcome), oldest first; a missing store or a
bad filter is a one-line error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from streams.errors import UserError
from streams.ledger.output import FORMATS, check_ticket_url, render
from streams.ledger.query import parse_filter
from streams.ledger.schema import KINDS
from streams.ledger.store import DEFAULT_FILE, open_store

DEFAULT_DATA_DIR = "var/serve"  # serve's default --data-dir


def command(args: argparse.Namespace) -> int:
    try:
        query = parse_filter(
            kind=args.kind,
            team=args.team,
            target=args.target,
            outcome=args.outcome,
            agent=args.agent,
            since=args.since,
            until=args.until,
            ticket_id=args.ticket,
        )
        template = None if args.ticket_url is None else check_ticket_url(args.ticket_url)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    target = args.ledger or str(Path(args.data_dir) / DEFAULT_FILE)
    store = open_store(target, create=False)
    try:
        rows = store.select(query)
    finally:
        store.close()
    out = sys.stdout
    for chunk in render(query.table, rows, args.format, template):
        out.write(chunk)
    out.flush()
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "outcomes",
        help="the ledger: one row per SLA outcome, team stint, survey answer, QA review",
        description="The rows behind every figure: one per (ticket, target, cycle) SLA outcome "
        "with team, agent, policy, deadline, outcome and how late; or per team stint, survey "
        "answer or QA review (--kind). Reads the embedded store of --data-dir or a PostgreSQL "
        "(--ledger postgresql://...). Times are event time, UTC.",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--data-dir",
        default=DEFAULT_DATA_DIR,
        metavar="DIR",
        help=f"serve's data directory, read {DEFAULT_FILE} there (default %(default)s)",
    )
    where.add_argument(
        "--ledger", metavar="PATH|URL", help="an SQLite ledger file or a postgresql:// URL"
    )
    parser.add_argument("--kind", choices=KINDS, default="outcome", help="(default %(default)s)")
    parser.add_argument("--team", metavar="T", help="only this team's rows")
    parser.add_argument("--target", metavar="X", help="first_response, next_reply or resolution")
    parser.add_argument("--outcome", metavar="met|breached", help="met or breached")
    parser.add_argument("--agent", metavar="A", help="only rows credited to this agent")
    parser.add_argument("--ticket", metavar="ID", help="only this ticket's rows")
    parser.add_argument(
        "--from",
        dest="since",
        metavar="TS",
        help="rows known at or after this date (2026-11-23, UTC) or timestamp with offset",
    )
    parser.add_argument(
        "--to", dest="until", metavar="TS", help="rows known before this date or timestamp"
    )
    parser.add_argument("--format", choices=FORMATS, default="csv", help="(default %(default)s)")
    parser.add_argument(
        "--ticket-url",
        metavar="TEMPLATE",
        help="add a url column: TEMPLATE with {ticket_id} replaced by the URL-quoted id, "
        "e.g. 'https://helpdesk.example.com/tickets/{ticket_id}'",
    )
    parser.set_defaults(func=command)
