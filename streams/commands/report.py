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
from streams.report.charts import trend_png
from streams.report.figures import Prometheus, last_complete_week, weekly_report
from streams.report.mail import build_message, content_id, send
from streams.report.render import TOP_N, Judge, render_html, render_text, summary_line


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


def command(args: argparse.Namespace) -> int:
    if args.top < 1:
        raise UserError(f"--top {args.top}: must be at least 1")
    objectives = load_policies(args.policy).objectives
    week = args.week or last_complete_week(time.time())
    report = weekly_report(Prometheus(args.prometheus), week)
    if not report.this:
        raise UserError(f"Prometheus at {args.prometheus} has no ServicePulse data for {week}")
    trend = trend_png(report, Judge(objectives))
    data_uri = "data:image/png;base64," + base64.b64encode(trend).decode("ascii")
    html_text = render_html(report, args.prometheus, objectives, {"trend": data_uri}, args.top)
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
            report, args.prometheus, objectives, {"trend": f"cid:{content_id('trend')}"}, args.top
        )
        message = build_message(
            f"ServicePulse service report {report.week}: {summary_line(report, Judge(objectives))}"[
                :200
            ],
            render_text(report, objectives, args.top),
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
        "a text summary, an email-safe HTML part with its chart, and the PDF.",
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
    parser.set_defaults(func=command)
