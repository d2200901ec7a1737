"""``MailerPort`` contract: the SMTP mailer against a real local SMTP server, and the file outbox.

The SMTP server is aiosmtpd on 127.0.0.1 and a free port, with a self-signed
certificate made for the test, so STARTTLS, implicit TLS and AUTH run for real.
"""

from __future__ import annotations

import email.policy
import ipaddress
import socket
import ssl
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conman_adapters.mail.outbox import FileMailer, list_mails
from conman_adapters.mail.smtp import SmtpMailer
from conman_domain.errors import MailDeliveryFailed, ServiceUnavailable
from conman_domain.ports.mail import MailerPort, MailMessage

T0 = datetime(2026, 3, 1, 9, 30, 0, tzinfo=UTC)
USER, PASSWORD = "mailer", "s3cret-smtp-pass"
FROM = "conman@example.test"


class StepClock:
    """A clock that moves one second per reading."""

    def __init__(self) -> None:
        self.current = T0

    def now(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current

    def monotonic(self) -> float:
        return (self.current - T0).total_seconds()


class Inbox:
    """aiosmtpd handler that keeps every accepted message."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        return [_parse(raw) for _, _, raw in self.envelopes]


def _parse(raw: bytes) -> EmailMessage:
    # Both the wire and the files use CRLF; compare bodies with plain newlines.
    parsed = BytesParser(policy=email.policy.default).parsebytes(raw.replace(b"\r\n", b"\n"))
    assert isinstance(parsed, EmailMessage)
    return parsed


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.now(UTC) - timedelta(days=1))
        .not_valid_after(datetime.now(UTC) + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


ServerFactory = Callable[..., tuple[Inbox, int]]


@pytest.fixture
def smtp_server() -> Iterator[ServerFactory]:
    controllers: list[Controller] = []

    def start(**kwargs: Any) -> tuple[Inbox, int]:
        inbox, port = Inbox(), _free_port()
        controller = Controller(
            inbox, hostname="127.0.0.1", port=port, ready_timeout=10.0, **kwargs
        )
        controller.start()
        controllers.append(controller)
        return inbox, port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture(params=["smtp-starttls-auth", "file"])
def mailer_and_inbox(
    request: pytest.FixtureRequest,
    smtp_server: ServerFactory,
    certificate: tuple[Path, Path],
    tmp_path: Path,
) -> tuple[MailerPort, Callable[[], list[EmailMessage]]]:
    """Every mailer, with a way to read back what it delivered."""
    if request.param == "file":
        folder = tmp_path / "mail"
        file_mailer = FileMailer(folder, clock=StepClock(), from_address=FROM)

        def read_files() -> list[EmailMessage]:
            return [_parse(Path(m.path).read_bytes()) for m in list_mails(folder)]

        return file_mailer, read_files
    inbox, port = smtp_server(
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=_authenticate,
        auth_required=True,
    )
    mailer = SmtpMailer(
        host="127.0.0.1",
        port=port,
        clock=StepClock(),
        username=USER,
        password=PASSWORD,
        tls="starttls",
        from_address=FROM,
        timeout_seconds=5,
        ssl_context=_client_context(certificate),
    )
    return mailer, inbox.messages


def test_sent_message_arrives_with_headers_and_text_body(
    mailer_and_inbox: tuple[MailerPort, Callable[[], list[EmailMessage]]],
) -> None:
    mailer, received = mailer_and_inbox
    mailer.send(
        MailMessage(to="ann@example.test", subject="[shop] Release published: v1", text_body="hi\n")
    )
    [msg] = received()
    assert msg["From"] == FROM
    assert msg["To"] == "ann@example.test"
    assert msg["Subject"] == "[shop] Release published: v1"
    assert msg["Date"] == "Sun, 01 Mar 2026 09:30:01 +0000"
    assert msg["Message-ID"].endswith("@example.test>")
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content() == "hi\n"


def test_html_body_becomes_an_alternative_part_after_the_text(
    mailer_and_inbox: tuple[MailerPort, Callable[[], list[EmailMessage]]],
) -> None:
    mailer, received = mailer_and_inbox
    mailer.send(
        MailMessage(to="a@example.test", subject="s", text_body="plain", html_body="<b>rich</b>")
    )
    [msg] = received()
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[1].get_content().strip() == "<b>rich</b>"


def test_non_ascii_subject_and_body_survive_the_trip(
    mailer_and_inbox: tuple[MailerPort, Callable[[], list[EmailMessage]]],
) -> None:
    mailer, received = mailer_and_inbox
    mailer.send(MailMessage(to="a@example.test", subject="Grüße ✓", text_body="Ünïcode ✓\n"))
    [msg] = received()
    assert msg["Subject"] == "Grüße ✓"
    assert msg.get_content() == "Ünïcode ✓\n"


def test_sending_twice_delivers_twice(
    mailer_and_inbox: tuple[MailerPort, Callable[[], list[EmailMessage]]],
) -> None:
    mailer, received = mailer_and_inbox
    message = MailMessage(to="a@example.test", subject="same", text_body="x")
    mailer.send(message)
    mailer.send(message)
    got = received()
    assert [m["Subject"] for m in got] == ["same", "same"]
    assert got[0]["Message-ID"] != got[1]["Message-ID"]


def test_header_injection_in_the_recipient_is_refused_not_sent(
    mailer_and_inbox: tuple[MailerPort, Callable[[], list[EmailMessage]]],
) -> None:
    mailer, received = mailer_and_inbox
    with pytest.raises(MailDeliveryFailed):
        mailer.send(
            MailMessage(to="a@example.test\r\nBcc: x@evil.test", subject="s", text_body="x")
        )
    assert received() == []


def _mailer(port: int, **overrides: Any) -> SmtpMailer:
    options: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "clock": StepClock(),
        "from_address": FROM,
        "timeout_seconds": 5,
        "tls": "none",
    }
    options.update(overrides)
    return SmtpMailer(**options)


HELLO = MailMessage(to="bob@example.test", subject="hello", text_body="body")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_mode_with_auth_delivers(
    smtp_server: ServerFactory, certificate: tuple[Path, Path]
) -> None:
    inbox, port = smtp_server(
        ssl_context=_server_context(certificate),
        authenticator=_authenticate,
        auth_required=True,
        auth_require_tls=False,  # aiosmtpd only counts STARTTLS as TLS for AUTH
    )
    _mailer(
        port,
        tls="ssl",
        username=USER,
        password=PASSWORD,
        ssl_context=_client_context(certificate),
    ).send(HELLO)
    assert [(frm, to) for frm, to, _ in inbox.envelopes] == [(FROM, ["bob@example.test"])]


def test_plain_mode_without_auth_delivers_to_a_local_relay(smtp_server: ServerFactory) -> None:
    inbox, port = smtp_server()
    _mailer(port).send(HELLO)
    assert [m["Subject"] for m in inbox.messages()] == ["hello"]


def test_wrong_password_is_a_delivery_failure_that_does_not_leak_the_password(
    smtp_server: ServerFactory, certificate: tuple[Path, Path]
) -> None:
    inbox, port = smtp_server(
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=_authenticate,
        auth_required=True,
    )
    mailer = _mailer(
        port,
        tls="starttls",
        username=USER,
        password="wrong-password-123",
        ssl_context=_client_context(certificate),
    )
    with pytest.raises(MailDeliveryFailed) as caught:
        mailer.send(HELLO)
    assert caught.value.details == {"smtp_code": 535}
    assert "wrong-password-123" not in str(caught.value)
    assert "wrong-password-123" not in repr(mailer)
    assert inbox.envelopes == []


def test_server_down_is_a_service_unavailable_delivery_failure() -> None:
    port = _free_port()  # nothing listens there
    with pytest.raises(MailDeliveryFailed) as caught:
        _mailer(port).send(HELLO)
    assert isinstance(caught.value, ServiceUnavailable)
    assert caught.value.code == "service_unavailable"
    assert f"127.0.0.1:{port}" in caught.value.message


def test_starttls_mode_refuses_to_downgrade_when_the_server_lacks_starttls(
    smtp_server: ServerFactory,
) -> None:
    inbox, port = smtp_server()  # no tls_context: STARTTLS is not offered
    with pytest.raises(MailDeliveryFailed):
        _mailer(port, tls="starttls").send(HELLO)
    assert inbox.envelopes == []


def test_untrusted_server_certificate_is_a_delivery_failure(
    smtp_server: ServerFactory, certificate: tuple[Path, Path]
) -> None:
    inbox, port = smtp_server(tls_context=_server_context(certificate), require_starttls=True)
    with pytest.raises(MailDeliveryFailed):
        _mailer(port, tls="starttls", ssl_context=ssl.create_default_context()).send(HELLO)
    assert inbox.envelopes == []


class RefusingInbox(Inbox):
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return "550 5.1.1 no such user"


def test_refused_recipient_is_a_delivery_failure() -> None:
    port = _free_port()
    controller = Controller(RefusingInbox(), hostname="127.0.0.1", port=port, ready_timeout=10.0)
    controller.start()
    try:
        with pytest.raises(MailDeliveryFailed):
            _mailer(port).send(HELLO)
    finally:
        controller.stop()


def test_unknown_tls_mode_is_rejected_at_construction() -> None:
    with pytest.raises(ValueError):
        _mailer(25, tls="tls")


def test_file_mailer_writes_sortable_eml_files_and_no_temporary_leftovers(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "mail"
    mailer = FileMailer(folder, clock=StepClock(), from_address=FROM)
    for n in range(3):
        mailer.send(MailMessage(to=f"u{n}@example.test", subject=f"mail {n}", text_body="x"))
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 3 and all(name.endswith(".eml") for name in names)
    assert names[0].startswith("20260301T093001.000000Z-")
    assert all(stat.S_IMODE((folder / name).stat().st_mode) == 0o600 for name in names)
    mails = list_mails(folder)
    assert [m.subject for m in mails] == ["mail 0", "mail 1", "mail 2"]
    assert [m.recipient for m in mails] == ["u0@example.test", "u1@example.test", "u2@example.test"]
    assert mails[0].sender == FROM
    assert mails[0].date == T0 + timedelta(seconds=1)
    assert mails[0].path == str(folder / names[0])


def test_list_mails_skips_temporary_files_and_tolerates_a_missing_directory(
    tmp_path: Path,
) -> None:
    assert list_mails(tmp_path / "absent") == []
    (tmp_path / ".20260301T000000.000000Z-abc.eml.tmp").write_bytes(b"Subject: partial\r\n")
    (tmp_path / "notes.txt").write_text("not a mail")
    (tmp_path / "20260301T000000.000000Z-abc.eml").write_bytes(b"garbage without headers")
    [only] = list_mails(tmp_path)
    assert only.path.endswith("-abc.eml")
    assert (only.sender, only.recipient, only.subject, only.date) == ("", "", "", None)


def test_file_mailer_disk_error_is_a_delivery_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "mail"
    blocker.write_text("a file where the directory should be")
    with pytest.raises(MailDeliveryFailed):
        FileMailer(blocker, clock=StepClock(), from_address=FROM).send(HELLO)


def test_a_long_ascii_link_is_stored_verbatim_so_the_eml_file_stays_clickable(
    tmp_path: Path,
) -> None:
    link = "https://conman.example.com/accept-invite?token=" + "T" * 43
    mailer = FileMailer(tmp_path / "mail", clock=StepClock(), from_address=FROM)
    mailer.send(
        MailMessage(to="a@example.test", subject="You're invited", text_body=f"Open {link}\n")
    )
    [stored] = list_mails(tmp_path / "mail")
    raw = Path(stored.path).read_bytes()
    assert link.encode() in raw
    assert b"Content-Transfer-Encoding: 7bit" in raw
