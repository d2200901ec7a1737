"""RFC 5322 messages from ``MailMessage`` (shared by the SMTP and file mailers)."""

from __future__ import annotations

import email.policy
import email.utils
from datetime import datetime
from email.message import EmailMessage

from conman_domain.errors import MailDeliveryFailed
from conman_domain.ports.mail import MailMessage

__all__ = ["build_message", "message_bytes"]


def build_message(message: MailMessage, *, from_address: str, now: datetime) -> EmailMessage:
    """Return the message with From, To, Subject, Date and Message-ID set.

    The body is ``text/plain``; with ``html_body`` it becomes ``multipart/alternative``
    with the HTML part last (preferred by clients that can show it). A header value the
    email package refuses (a line break, a malformed address) raises
    ``MailDeliveryFailed``: that message can never be delivered.
    """
    domain = from_address.rpartition("@")[2] or "localhost"
    msg = EmailMessage(policy=email.policy.SMTP)
    try:
        msg["From"] = from_address
        msg["To"] = message.to
        msg["Subject"] = message.subject
        msg["Date"] = email.utils.format_datetime(now)
        msg["Message-ID"] = email.utils.make_msgid(domain=domain)
        msg.set_content(message.text_body, cte=_transfer_encoding(message.text_body))
        if message.html_body is not None:
            msg.add_alternative(
                message.html_body, subtype="html", cte=_transfer_encoding(message.html_body)
            )
    except (ValueError, TypeError) as exc:
        raise MailDeliveryFailed(f"mail message is malformed: {exc}") from exc
    return msg


def _transfer_encoding(body: str) -> str | None:
    # Plain ASCII with lines inside RFC 5322's 998-octet limit travels as-is, so the
    # invite and reset links stay readable and clickable in the .eml files; anything
    # else gets the email package's choice (quoted-printable or base64).
    if body.isascii() and all(len(line) <= 998 for line in body.splitlines()):
        return "7bit"
    return None


def message_bytes(msg: EmailMessage) -> bytes:
    """The message as wire bytes (CRLF line endings, as SMTP sends them)."""
    return msg.as_bytes(policy=email.policy.SMTP)
