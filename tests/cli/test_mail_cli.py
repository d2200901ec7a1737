"""``conman mail list`` over the file outbox (API.md §16)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from conman_adapters.mail.outbox import FileMailer
from conman_cli.main import main
from conman_domain.ports.mail import MailMessage

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)


class TickClock:
    def __init__(self) -> None:
        self.current = T0

    def now(self) -> datetime:
        self.current += timedelta(minutes=1)
        return self.current

    def monotonic(self) -> float:
        return 0.0


def _send(directory: Path, *subjects: str) -> None:
    mailer = FileMailer(directory, clock=TickClock(), from_address="conman@localhost")
    for n, subject in enumerate(subjects):
        mailer.send(MailMessage(to=f"user{n}@example.test", subject=subject, text_body="x"))


def test_mail_list_json_shows_every_mail_of_the_default_data_dir_oldest_first(
    runner: CliRunner, workdir: Path
) -> None:
    _send(workdir / "conman-data" / "mail", "You're invited to shop", "Reset your Conman password")
    result = runner.invoke(main, ["mail", "list", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["directory"] == str(workdir / "conman-data" / "mail")
    assert [(m["recipient"], m["subject"]) for m in payload["mails"]] == [
        ("user0@example.test", "You're invited to shop"),
        ("user1@example.test", "Reset your Conman password"),
    ]
    first = payload["mails"][0]
    assert first["sender"] == "conman@localhost"
    assert first["date"] == "2026-03-01T09:01:00.000Z"
    assert Path(first["path"]).is_file()


def test_mail_list_reads_the_data_dir_from_conman_data_dir(
    runner: CliRunner, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONMAN_DATA_DIR", str(workdir / "elsewhere"))
    _send(workdir / "elsewhere" / "mail", "[shop] Release published: v2")
    result = runner.invoke(main, ["mail", "list"])
    assert result.exit_code == 0, result.output
    header, row = result.output.strip().splitlines()
    assert header.split()[:4] == ["DATE", "TO", "SUBJECT", "FILE"]
    assert row.startswith("2026-03-01 09:01:00  user0@example.test  [shop] Release published: v2")
    assert row.endswith(".eml")


def test_mail_list_with_no_outbox_says_so(runner: CliRunner, workdir: Path) -> None:
    result = runner.invoke(main, ["mail", "list"])
    assert result.exit_code == 0
    assert result.output.strip() == f"no mail in {workdir / 'conman-data' / 'mail'}"
    as_json = json.loads(runner.invoke(main, ["mail", "list", "--json"]).output)
    assert as_json["mails"] == []


def test_mail_list_with_a_bad_configuration_exits_6(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONMAN_PORT", "not-a-port")
    result = runner.invoke(main, ["mail", "list"])
    assert result.exit_code == 6
    assert "CONMAN_PORT" in result.output
