"""``servicepulse report``: the weekly service report from a Prometheus, as HTML (and PDF)."""

from __future__ import annotations

import argparse
import base64
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from streams.core.policy import load_policies
from streams.errors import UserError
from streams.ledger.output import check_ticket_url
from streams.ledger.store import DEFAULT_FILE, open_store
from streams.report.charts import trend_png
from streams.report.figures import Prometheus, last_complete_week, parse_week, weekly_report
from streams.report.mail import build_message, content_id, send
from streams.report.render import TOP_N, Judge, render_html, render_text, summary_line
from streams.report.tickets import LedgerWeek, read_week


def html_to_pdf(html_path: Path, pdf_path: Path) -> bool:
    """A PDF through whichever renderer is installed (chromium, wkhtmltopdf); False if none.

    Both paths are made absolute first: a ``file://`` URI has no relative form, and the
    renderer's idea of the current directory is not ours to rely on.
    """
    html_path, pdf_path = html_path.resolve(), pdf_path.resolve()
    for name in ("chromium", "chromium-browser", "google-chrome"):
        binary = shutil.which(name)
        if binary:
            # no header/footer (date, file:// URL): the flag's name since Chromium 111, and before;
            # no structure tags: a tag per table cell made the 80-team PDF 268 KB instead of 67
            command = [binary, "--headless", "--disable-gpu", "--no-sandbox",
                       "--no-pdf-header-footer", "--print-to-pdf-no-header",
                       "--disable-pdf-tagging",
                       f"--print-to-pdf={pdf_path}", html_path.as_uri()]  # fmt: skip
            break
    else:
        binary = shutil.which("wkhtmltopdf")
        if binary is None:
            return False
        command = [binary, "--quiet", str(html_path), str(pdf_path)]
    try:
        result = subprocess.run(command, capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and pdf_path.exists()


def ledger_of(args: argparse.Namespace) -> str | None:
    """The ledger to read: ``--ledger``, else ``<--data-dir>/ledger.sqlite3``; None: neither."""
    if args.ledger:
        return str(args.ledger)
    if args.data_dir:
        return str(Path(args.data_dir) / DEFAULT_FILE)
    return None


def read_tickets(target: str, week: str) -> LedgerWeek:
    """The week's breaches and detractors per team; a missing ledger is a UserError."""
    _, start = parse_week(week)
    store = open_store(target, create=False)
    try:
        return read_week(store, start)
    finally:
        store.close()


def command(args: argparse.Namespace) -> int:
    if args.top < 1:
        raise UserError(f"--top {args.top}: must be at least 1")
    target = ledger_of(args)
    template = args.ticket_url
    if template is not None:
        if target is None:
            raise UserError("--ticket-url needs a ledger: --ledger PATH|URL or --data-dir DIR")
        try:
            check_ticket_url(template)
        except ValueError as exc:
            raise UserError(f"--ticket-url {template!r}: {exc}") from None
    objectives = load_policies(args.policy).objectives
    week = args.week or last_complete_week(time.time())
    tickets = None if target is None else read_tickets(target, week)
    report = weekly_report(Prometheus(args.prometheus), week)
    if not report.this:
        raise UserError(f"Prometheus at {args.prometheus} has no ServicePulse data for {week}")
    trend = trend_png(report, Judge(objectives))
    data_uri = "data:image/png;base64," + base64.b64encode(trend).decode("ascii")
    html_text = render_html(
        report, args.prometheus, objectives, {"trend": data_uri}, args.top, tickets, template
    )
    out = Path(args.out or f"servicepulse-{report.week}.html")
    try:
        out.write_text(html_text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror}") from None
    print(f"servicepulse: wrote {out}", file=sys.stderr)
    attachments: dict[str, bytes] = {}
    pdf = out.with_suffix(".pdf")
    if args.pdf and html_to_pdf(out, pdf):
        attachments[pdf.name] = pdf.read_bytes()
        print(f"servicepulse: wrote {pdf}", file=sys.stderr)
    elif args.pdf:
        print(
            "servicepulse: no PDF: no renderer (chromium, wkhtmltopdf) found, or it failed",
            file=sys.stderr,
        )
    if args.mail_to:
        recipients = [a.strip() for a in args.mail_to.split(",") if a.strip()]
        if not recipients:
            raise UserError(f"--mail-to {args.mail_to!r}: no address")
        mail_html = render_html(
            report,
            args.prometheus,
            objectives,
            {"trend": f"cid:{content_id('trend')}"},
            args.top,
            tickets,
            template,
        )
        message = build_message(
            f"ServicePulse service report {report.week}: {summary_line(report, Judge(objectives))}"[
                :200
            ],
            render_text(report, objectives, args.top, tickets, template),
            mail_html,
            {"trend": trend},
            attachments,
            recipients,
        )
        send(message, recipients)
        size = len(message.as_bytes())
        print(
            f"servicepulse: mailed to {', '.join(recipients)} ({size / 1024:,.0f} KB)",
            file=sys.stderr,
        )
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "report",
        help="weekly service report (HTML, PDF, mail) from a Prometheus",
        description="Query a Prometheus for one ISO week's figures per team (volume, "
        "abandonment, service level, ASA, response and resolution median/p90, SLA attainment "
        "per target, breaches, backlog at week end, hand-offs, reopen rate, CSAT, FCR) with the "
        "change from the week before and a 12-week trend, each coloured against its objective, "
        "and write an HTML report (and a PDF where a renderer is installed); --mail-to sends it "
        "over SMTP (SERVICEPULSE_SMTP_HOST, _PORT, _USER, _PASSWORD, _FROM, _STARTTLS, _SSL) as "
        "a text summary, an email-safe HTML part with its chart, and the PDF. With a ledger "
        "(--ledger, --data-dir) each team's worst breaches and detractors of the week are "
        "listed too.",
    )
    parser.add_argument("--prometheus", default="http://localhost:9090", metavar="URL")
    parser.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: the last complete one)")
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="the SLA policy file whose objectives judge SLA attainment (default: the built-in "
        "policy's)",
    )
    parser.add_argument(
        "--top",
        type=int,
        default=TOP_N,
        metavar="N",
        help=f"team rows before 'all others' (default {TOP_N})",
    )
    parser.add_argument("--out", metavar="FILE", help="HTML file (default servicepulse-WEEK.html)")
    parser.add_argument("--pdf", action="store_true", help="also render a PDF beside the HTML")
    parser.add_argument("--mail-to", metavar="ADDRESSES", help="comma-separated recipients")
    group = parser.add_argument_group(
        "tickets from the outcomes ledger (docs/ledger.md)",
        "per team, the week's worst breaches (the most late first) and detractors (NPS 0-6, CSAT "
        "1-2); without a ledger the report has no ticket ids",
    )
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--ledger", metavar="PATH|URL", help="an SQLite ledger file or a postgresql:// URL"
    )
    where.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"serve's data directory: read DIR/{DEFAULT_FILE}",
    )
    group.add_argument(
        "--ticket-url",
        metavar="TEMPLATE",
        help="link each ticket id: TEMPLATE with {ticket_id} replaced by the URL-quoted id, "
        "e.g. 'https://helpdesk.example.com/tickets/{ticket_id}'",
    )
    parser.set_defaults(func=command)
