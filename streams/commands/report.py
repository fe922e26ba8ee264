"""``servicepulse report``: the weekly service report from a Prometheus, as HTML (and PDF)."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from streams.errors import UserError
from streams.report.figures import Prometheus, last_complete_week, weekly_report
from streams.report.mail import send
from streams.report.render import render_html


def html_to_pdf(html_path: Path, pdf_path: Path) -> bool:
    """A PDF through whichever renderer is installed (chromium, wkhtmltopdf); False if none.

    Both paths are made absolute first: a ``file://`` URI has no relative form, and the
    renderer's idea of the current directory is not ours to rely on.
    """
    html_path, pdf_path = html_path.resolve(), pdf_path.resolve()
    for name in ("chromium", "chromium-browser", "google-chrome"):
        binary = shutil.which(name)
        if binary:
            # no header/footer (date, file:// URL): the flag's name since Chromium 111, and before
            command = [binary, "--headless", "--disable-gpu", "--no-sandbox",
                       "--no-pdf-header-footer", "--print-to-pdf-no-header",
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
    week = args.week or last_complete_week(time.time())
    report = weekly_report(Prometheus(args.prometheus), week)
    if not report.this:
        raise UserError(f"Prometheus at {args.prometheus} has no ServicePulse data for {week}")
    html_text = render_html(report, args.prometheus)
    out = Path(args.out or f"servicepulse-{report.week}.html")
    try:
        out.write_text(html_text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror}") from None
    attachments = {out.name: html_text.encode()}
    pdf = out.with_suffix(".pdf")
    if args.pdf and html_to_pdf(out, pdf):
        attachments[pdf.name] = pdf.read_bytes()
        print(f"servicepulse: wrote {pdf}", file=sys.stderr)
    elif args.pdf:
        print(
            "servicepulse: no PDF: no renderer (chromium, wkhtmltopdf) found, or it failed",
            file=sys.stderr,
        )
    print(f"servicepulse: wrote {out}", file=sys.stderr)
    if args.mail_to:
        recipients = [a.strip() for a in args.mail_to.split(",") if a.strip()]
        send(html_text, f"ServicePulse service report {report.week}", recipients, attachments)
        print(f"servicepulse: mailed to {', '.join(recipients)}", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "report",
        help="weekly service report (HTML, PDF, mail) from a Prometheus",
        description="Query a Prometheus for one ISO week's volume, CSAT, SLA attainment and "
        "first-contact resolution per team, with the change from the week before, and write a "
        "self-contained HTML report (and a PDF where a renderer is installed); --mail-to sends "
        "it over SMTP (SERVICEPULSE_SMTP_HOST, _PORT, _USER, _PASSWORD, _FROM, _STARTTLS, _SSL).",
    )
    parser.add_argument("--prometheus", default="http://localhost:9090", metavar="URL")
    parser.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: the last complete one)")
    parser.add_argument("--out", metavar="FILE", help="HTML file (default servicepulse-WEEK.html)")
    parser.add_argument("--pdf", action="store_true", help="also render a PDF beside the HTML")
    parser.add_argument("--mail-to", metavar="ADDRESSES", help="comma-separated recipients")
    parser.set_defaults(func=command)
