"""Mailing the report over SMTP, configured by ``SERVICEPULSE_SMTP_*`` variables."""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage

from streams.errors import UserError


def send(
    html_text: str, subject: str, recipients: list[str], attachments: dict[str, bytes]
) -> None:
    """SERVICEPULSE_SMTP_HOST (default localhost), _PORT (25), _USER, _PASSWORD, _FROM,
    _STARTTLS (1 to upgrade the connection) and _SSL (1 for implicit TLS, port 465)."""
    env = os.environ.get
    host = env("SERVICEPULSE_SMTP_HOST", "localhost")
    ssl = env("SERVICEPULSE_SMTP_SSL", "0") == "1"
    try:
        port = int(env("SERVICEPULSE_SMTP_PORT", "465" if ssl else "25"))
    except ValueError:
        raise UserError("SERVICEPULSE_SMTP_PORT must be a port number") from None
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = env("SERVICEPULSE_SMTP_FROM", "servicepulse@localhost")
    message["To"] = ", ".join(recipients)
    message.set_content(f"{subject}\n\nThe report is attached as HTML.")
    message.add_alternative(html_text, subtype="html")
    for name, data in attachments.items():
        maintype, subtype = ("application", "pdf") if name.endswith(".pdf") else ("text", "html")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    try:
        client = (
            smtplib.SMTP_SSL(host, port, timeout=30)
            if ssl
            else smtplib.SMTP(host, port, timeout=30)
        )
        with client:
            if env("SERVICEPULSE_SMTP_STARTTLS", "0") == "1":
                client.starttls()
            user = env("SERVICEPULSE_SMTP_USER")
            if user:
                client.login(user, env("SERVICEPULSE_SMTP_PASSWORD", ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise UserError(f"cannot send the report via {host}:{port}: {exc}") from None
