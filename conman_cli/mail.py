"""``conman mail list``: the file outbox under ``<data dir>/mail`` (API.md §16)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from conman_adapters.config import load_settings
from conman_adapters.mail.outbox import MailFile, list_mails
from conman_cli.common import emit, handle_errors, json_option

__all__ = ["mail"]


def _as_dict(mail: MailFile) -> dict[str, Any]:
    return {
        "date": mail.date,  # emit renders it like the API (UTC, ms, Z)
        "sender": mail.sender,
        "recipient": mail.recipient,
        "subject": mail.subject,
        "path": mail.path,
    }


def _table(directory: Path, mails: list[MailFile]) -> str:
    if not mails:
        return f"no mail in {directory}"
    rows = [
        (m.date.strftime("%Y-%m-%d %H:%M:%S") if m.date else "-", m.recipient, m.subject, m.path)
        for m in mails
    ]
    header = ("DATE", "TO", "SUBJECT", "FILE")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = [
        "  ".join([*(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])), row[3]])
        for row in [header, *rows]
    ]
    return "\n".join(lines)


@click.group()
def mail() -> None:
    """Read the local mail outbox (used when CONMAN_SMTP_HOST is unset)."""


@mail.command("list")
@json_option
@handle_errors
def list_command(as_json: bool) -> None:
    """List the mails written under <data dir>/mail, oldest first.

    Invite and password-reset links of a local install are read here. Nothing is
    generated or changed: only CONMAN_DATA_DIR (default ./conman-data) is needed.
    """
    directory = load_settings().data_path / "mail"
    mails = list_mails(directory)
    payload = {"directory": str(directory), "mails": [_as_dict(m) for m in mails]}
    emit(as_json, payload, _table(directory, mails))
