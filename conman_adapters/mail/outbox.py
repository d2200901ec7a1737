"""File outbox: one ``.eml`` file per mail under ``<data dir>/mail`` (API.md §16).

Used when ``CONMAN_SMTP_HOST`` is unset, so local installs can read invite and reset
links with ``conman mail list`` instead of needing a mail server.
"""

from __future__ import annotations

import email.policy
import email.utils
import os
import secrets
from datetime import datetime
from email.parser import BytesParser
from pathlib import Path

import msgspec

from conman_adapters.mail.message import build_message, message_bytes
from conman_domain.errors import MailDeliveryFailed
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.mail import MailerPort, MailMessage

__all__ = ["FileMailer", "MailFile", "list_mails"]

SUFFIX = ".eml"


class FileMailer(MailerPort):
    """Writes each message as ``<UTC timestamp>-<random id>.eml`` in ``directory``.

    Names sort by sending time. Each file is written to a hidden temporary name, flushed
    to disk and then renamed, so a reader never sees half a mail and a crash leaves at
    most a stray ``.tmp`` file, never a truncated ``.eml``. Files are mode 0600 (they
    carry live invite and reset links).
    """

    def __init__(self, directory: Path, *, clock: ClockPort, from_address: str) -> None:
        self._dir = directory
        self._clock = clock
        self._from = from_address

    def __repr__(self) -> str:
        return f"FileMailer({str(self._dir)!r})"

    @property
    def directory(self) -> Path:
        return self._dir

    def send(self, message: MailMessage) -> None:
        """Write ``message`` as a new file; a disk error raises ``MailDeliveryFailed``."""
        now = self._clock.now()
        data = message_bytes(build_message(message, from_address=self._from, now=now))
        name = f"{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{secrets.token_hex(6)}{SUFFIX}"
        final = self._dir / name
        temp = self._dir / f".{name}.tmp"
        created = False
        try:
            self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            # 0600: the files hold live invite and reset links.
            descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            created = True
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, final)
        except OSError as exc:
            if created:
                temp.unlink(missing_ok=True)
            reason = exc.strerror or type(exc).__name__
            raise MailDeliveryFailed(f"cannot write mail file in {self._dir}: {reason}") from exc


class MailFile(msgspec.Struct, frozen=True, kw_only=True):
    """One mail of the file outbox, as ``conman mail list`` shows it."""

    sender: str
    recipient: str
    subject: str
    date: datetime | None
    path: str


def _parse_date(value: str) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def list_mails(directory: Path) -> list[MailFile]:
    """Return the mails in ``directory``, oldest first; a missing directory has none.

    Temporary files of a write in progress are skipped. A file whose headers cannot be
    read still appears, with empty fields, so that nothing in the outbox is hidden.
    """
    if not directory.is_dir():
        return []
    parser = BytesParser(policy=email.policy.default)
    mails: list[MailFile] = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or path.suffix != SUFFIX or not path.is_file():
            continue
        with path.open("rb") as handle:
            msg = parser.parse(handle, headersonly=True)
        mails.append(
            MailFile(
                sender=str(msg.get("From", "")),
                recipient=str(msg.get("To", "")),
                subject=str(msg.get("Subject", "")),
                date=_parse_date(str(msg.get("Date", ""))),
                path=str(path),
            )
        )
    return mails
