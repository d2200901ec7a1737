"""The mail outbox (DOMAIN.md §18.2): queue one document per recipient, and the drain
that the job runner calls on every poll.

Queueing never sends and never fails the caller's request: an insert error is logged.
The drain claims each due pending document with a compare-and-set on its version
before sending, so concurrent runners never send one document twice; a failed send
is rescheduled with backoff 10 s / 60 s / 300 s and marked failed after 4 attempts.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import msgspec

from conman_domain.errors import Conflict, ConmanError, NotFound
from conman_domain.model import NotificationEvent, NotificationOutbox, OutboxState
from conman_domain.notifications import TemplateData, after_send_failure, render_mail
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.ids import IdPort
from conman_domain.ports.mail import MailerPort, MailMessage
from conman_domain.ports.repos import MutableRepoPort

__all__ = ["CLAIM_LEASE", "DrainReport", "OutboxDrain", "queue_mail"]

CLAIM_LEASE = timedelta(minutes=5)
DRAIN_BATCH = 50
_log = logging.getLogger("conman.outbox")


def queue_mail(
    outbox: MutableRepoPort[NotificationOutbox],
    ids: IdPort,
    clock: ClockPort,
    *,
    data: TemplateData,
    to_email: str,
    recipient_user_id: str | None,
    app_id: str | None,
) -> NotificationOutbox | None:
    """Insert one pending outbox document; an error is logged and None returned."""
    now = clock.now()
    mail = render_mail(data)
    doc = NotificationOutbox(
        id=ids.new_id(),
        created_at=now,
        updated_at=now,
        app_id=app_id,
        event_type=data.event_type,
        recipient_user_id=recipient_user_id,
        to_email=to_email,
        subject=mail.subject,
        template_name=str(data.event_type),
        template_data=msgspec.to_builtins(data),
        next_attempt_at=now,
    )
    try:
        return outbox.insert(doc)
    except ConmanError as exc:
        _log.error("could not queue %s mail: %s", data.event_type, exc.message)
        return None


class DrainReport(msgspec.Struct, frozen=True, kw_only=True):
    sent: int = 0
    retried: int = 0
    failed: int = 0


class OutboxDrain:
    """Send every due pending outbox document once (call it on every runner poll)."""

    def __init__(
        self,
        outbox: MutableRepoPort[NotificationOutbox],
        mailer: MailerPort,
        clock: ClockPort,
    ) -> None:
        self._outbox = outbox
        self._mailer = mailer
        self._clock = clock

    def __call__(self) -> DrainReport:
        now = self._clock.now()
        due = self._outbox.list(
            {"state": str(OutboxState.PENDING), "next_attempt_at": {"$lte": now}},
            sort=(("next_attempt_at", 1),),
            limit=DRAIN_BATCH,
        ).items
        sent = retried = failed = 0
        for doc in due:
            claimed = self._claim(doc)
            if claimed is None:
                continue
            outcome = self._send(claimed)
            sent += outcome == "sent"
            retried += outcome == "retried"
            failed += outcome == "failed"
        return DrainReport(sent=sent, retried=retried, failed=failed)

    def _claim(self, doc: NotificationOutbox) -> NotificationOutbox | None:
        # Pushing next_attempt_at out is the claim: a runner that crashes mid-send
        # leaves the document due again after the lease.
        lease_until = self._clock.now() + CLAIM_LEASE
        try:
            version = self._outbox.set_fields(doc.id, doc.version, {"next_attempt_at": lease_until})
        except (Conflict, NotFound):
            return None  # another runner claimed it first
        return msgspec.structs.replace(doc, version=version, next_attempt_at=lease_until)

    def _send(self, doc: NotificationOutbox) -> str:
        data = msgspec.convert(doc.template_data, TemplateData)
        mail = render_mail(data)
        message = MailMessage(to=doc.to_email, subject=doc.subject, text_body=mail.text)
        attempts = doc.attempts + 1
        try:
            self._mailer.send(message)
        except ConmanError as exc:
            return self._failed(doc, attempts, exc.message)
        changes: dict[str, object] = {
            "state": str(OutboxState.SENT),
            "attempts": attempts,
            "sent_at": self._clock.now(),
        }
        self._outbox.set_fields(doc.id, doc.version, {**changes, **_scrubbed_link(doc)})
        return "sent"

    def _failed(self, doc: NotificationOutbox, attempts: int, error: str) -> str:
        retry = after_send_failure(attempts, self._clock.now())
        if retry.failed:
            _log.error(
                "mail %s to outbox document %s failed after %d attempts: %s",
                doc.event_type,
                doc.id,
                attempts,
                error,
            )
            changes = {"state": str(OutboxState.FAILED), "attempts": attempts, "last_error": error}
            self._outbox.set_fields(doc.id, doc.version, {**changes, **_scrubbed_link(doc)})
            return "failed"
        self._outbox.set_fields(
            doc.id,
            doc.version,
            {"attempts": attempts, "last_error": error, "next_attempt_at": retry.next_attempt_at},
        )
        return "retried"


# Invite and reset links carry a one-time token whose plaintext exists nowhere else
# (only its hash is stored, API.md §4.1). The outbox keeps it only until the mail is
# delivered or given up; then the link is removed from the stored template data.
_TOKEN_LINK_EVENTS = frozenset({NotificationEvent.INVITE, NotificationEvent.PASSWORD_RESET})


def _scrubbed_link(doc: NotificationOutbox) -> dict[str, object]:
    if doc.event_type not in _TOKEN_LINK_EVENTS:
        return {}
    return {"template_data": {**doc.template_data, "link_url": ""}}
