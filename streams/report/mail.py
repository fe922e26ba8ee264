"""The report as one mail (text summary, HTML with its charts as related PNG parts, the PDF
attached) and its sending over SMTP, configured by ``SERVICEPULSE_SMTP_*`` variables.

The structure mail clients expect::

    multipart/mixed
      multipart/alternative
        text/plain            the summary and the figures, readable on its own
        multipart/related
          text/html           <img src="cid:trend@servicepulse">
          image/png           Content-ID: <trend@servicepulse>
      application/pdf         the same page, tables with repeated headers
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage

from streams.errors import UserError
from streams.settings import env_value

MAX_MAIL_BYTES = 300 * 1024  # the whole mail, as sent, for 80 teams (tests/unit/report)


def content_id(name: str) -> str:
    """The Content-ID of a chart (without angle brackets): ``cid:`` + this in the HTML."""
    return f"{name}@servicepulse"


def build_message(
    subject: str,
    text: str,
    html_text: str,
    images: Mapping[str, bytes],
    attachments: Mapping[str, bytes] | None = None,
    recipients: list[str] | None = None,
    sender: str | None = None,
) -> EmailMessage:
    """``images``: chart name -> PNG, referenced in ``html_text`` as ``cid:NAME@servicepulse``;
    ``attachments``: file name -> bytes (a ``.pdf``, or anything else as octets)."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender or env_value("SERVICEPULSE_SMTP_FROM") or "servicepulse@localhost"
    if recipients:
        message["To"] = ", ".join(recipients)
    message.set_content(text)
    message.add_alternative(html_text, subtype="html")
    html_part = message.get_payload()[1]  # type: ignore[index]
    assert isinstance(html_part, EmailMessage)
    for name, png in images.items():
        html_part.add_related(
            png,
            maintype="image",
            subtype="png",
            cid=f"<{content_id(name)}>",
            filename=f"{name}.png",
        )
    for name, data in (attachments or {}).items():
        maintype, subtype = (
            ("application", "pdf") if name.endswith(".pdf") else ("application", "octet-stream")
        )
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def send(message: EmailMessage, recipients: list[str]) -> None:
    """SERVICEPULSE_SMTP_HOST (default localhost), _PORT (25), _USER, _PASSWORD, _FROM,
    _STARTTLS (1 to upgrade the connection) and _SSL (1 for implicit TLS, port 465)."""
    host = env_value("SERVICEPULSE_SMTP_HOST") or "localhost"
    ssl = (env_value("SERVICEPULSE_SMTP_SSL") or "0") == "1"
    try:
        port = int(env_value("SERVICEPULSE_SMTP_PORT") or ("465" if ssl else "25"))
    except ValueError:
        raise UserError("SERVICEPULSE_SMTP_PORT must be a port number") from None
    if "To" not in message:
        message["To"] = ", ".join(recipients)
    try:
        client = (
            smtplib.SMTP_SSL(host, port, timeout=30)
            if ssl
            else smtplib.SMTP(host, port, timeout=30)
        )
        with client:
            if (env_value("SERVICEPULSE_SMTP_STARTTLS") or "0") == "1":
                client.starttls()
            user = env_value("SERVICEPULSE_SMTP_USER")
            if user:
                client.login(user, env_value("SERVICEPULSE_SMTP_PASSWORD") or "")
            client.send_message(message, to_addrs=recipients)
    except (OSError, smtplib.SMTPException) as exc:
        raise UserError(f"cannot send the report via {host}:{port}: {exc}") from None
