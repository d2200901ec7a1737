"""Outgoing mail (DOMAIN.md §18.2)."""

from __future__ import annotations

from typing import Protocol

import msgspec

__all__ = ["MailMessage", "MailerPort"]


class MailMessage(msgspec.Struct, frozen=True, kw_only=True):
    to: str
    subject: str
    text_body: str
    html_body: str | None = None


class MailerPort(Protocol):
    """Delivers one message to one recipient (SMTP, or a file/console outbox locally)."""

    def send(self, message: MailMessage) -> None:
        """Hand ``message`` to the provider and return once it is accepted.

        Raises ``ServiceUnavailable`` when the provider is unreachable, refuses the message
        or times out; the caller (the outbox drain) decides about retries. Sending the same
        message twice delivers it twice: de-duplication is the outbox's job.
        """
        ...
