"""``MailerPort`` over SMTP with the standard library (API.md §16: CONMAN_SMTP_*)."""

from __future__ import annotations

import smtplib
import ssl
from typing import Literal

from conman_adapters.mail.message import build_message
from conman_domain.errors import MailDeliveryFailed
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.mail import MailerPort, MailMessage

__all__ = ["SmtpMailer", "TlsMode"]

TlsMode = Literal["starttls", "ssl", "none"]
TLS_MODES: tuple[str, ...] = ("starttls", "ssl", "none")


class SmtpMailer(MailerPort):
    """Sends each message over a fresh SMTP connection.

    TLS modes: ``starttls`` (plain connect, then STARTTLS before anything else; a
    server without STARTTLS is a failure, never a silent downgrade), ``ssl`` (implicit
    TLS, usually port 465) and ``none`` (plain text, for a local relay). Certificates
    are verified with ``ssl_context`` (default: the system trust store). AUTH happens
    only when ``username`` is set. The password never appears in ``repr`` or errors.
    """

    def __init__(
        self,
        *,
        host: str,
        clock: ClockPort,
        port: int = 587,
        username: str | None = None,
        password: str | None = None,
        tls: TlsMode = "starttls",
        from_address: str = "conman@localhost",
        timeout_seconds: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if tls not in TLS_MODES:
            raise ValueError(f"tls must be one of {', '.join(TLS_MODES)}")
        self._host = host
        self._port = port
        self._username = username
        self._password = password
        self._tls = tls
        self._from = from_address
        self._timeout = timeout_seconds
        self._clock = clock
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        user = f", username={self._username!r}" if self._username else ""
        return f"SmtpMailer({self._host}:{self._port}, tls={self._tls}{user})"

    def send(self, message: MailMessage) -> None:
        """Deliver ``message``; any refusal or network failure raises ``MailDeliveryFailed``.

        ``MailDeliveryFailed`` is a ``ServiceUnavailable``; its message names the SMTP
        status or the socket error, never the credentials or the mail's content.
        """
        msg = build_message(message, from_address=self._from, now=self._clock.now())
        where = f"{self._host}:{self._port}"
        try:
            with self._connect() as client:
                if self._tls == "starttls":
                    client.starttls(context=self._context())
                if self._username:
                    client.login(self._username, self._password or "")
                refused = client.send_message(msg)
        except smtplib.SMTPResponseException as exc:
            raise MailDeliveryFailed(
                f"smtp {where} answered {exc.smtp_code}", {"smtp_code": exc.smtp_code}
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailDeliveryFailed(f"smtp {where} refused the recipient") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailDeliveryFailed(f"smtp {where} lacks a required extension") from exc
        except smtplib.SMTPException as exc:
            raise MailDeliveryFailed(f"smtp {where} failed: {type(exc).__name__}") from exc
        except OSError as exc:  # refused, unreachable, timeout, TLS handshake/verification
            reason = exc.strerror or type(exc).__name__
            raise MailDeliveryFailed(f"smtp {where} unreachable: {reason}") from exc
        if refused:
            raise MailDeliveryFailed(f"smtp {where} refused the recipient")

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self._tls == "ssl":
            return smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout, context=self._context()
            )
        return smtplib.SMTP(self._host, self._port, timeout=self._timeout)
