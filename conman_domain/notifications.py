"""Notification rules: events, recipients, subjects, bodies, outbox retries (DOMAIN.md §18).

Pure functions only. The use case that emits an event picks the candidate
recipients with ``audience_user_ids``, drops the ones ``filter_recipients`` rules
out, renders one ``RenderedMail`` per recipient and inserts one outbox document each;
the job runner applies ``after_send_failure`` when a delivery fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import msgspec

from conman_domain.errors import Validation
from conman_domain.model.apps import Role
from conman_domain.model.base import Value
from conman_domain.model.notifications import NotificationEvent

__all__ = [
    "ACCOUNT_EVENTS",
    "EVENT_TEXTS",
    "OUTBOX_BACKOFF_SECONDS",
    "OUTBOX_MAX_ATTEMPTS",
    "MemberRef",
    "NotificationEvent",
    "OutboxRetry",
    "RenderedMail",
    "TemplateData",
    "after_send_failure",
    "audience_user_ids",
    "filter_recipients",
    "render_mail",
    "render_template",
    "subject_for",
]


E = NotificationEvent

EVENT_TEXTS: Mapping[NotificationEvent, str] = {
    E.CHANGESET_SUBMITTED: "Changeset submitted",
    E.REVIEW_REQUESTED: "Review requested",
    E.CHANGESET_APPROVED: "Changeset approved",
    E.CHANGES_REQUESTED: "Changes requested",
    E.CHANGESET_REJECTED: "Changeset rejected",
    E.CHANGESET_QUEUED: "Changeset queued",
    E.CHANGESET_CONFLICTED: "Changeset conflicted",
    E.CHANGESET_NEEDS_REVALIDATION: "Changeset needs revalidation",
    E.RELEASE_CREATED: "Release created",
    E.RELEASE_PUBLISHED: "Release published",
    E.DEPLOYMENT_STARTED: "Deployment started",
    E.DEPLOYMENT_SUCCEEDED: "Deployment succeeded",
    E.DEPLOYMENT_FAILED: "Deployment failed",
    E.DEPLOYMENT_BLOCKED_BY_DRIFT: "Deployment blocked by drift",
    E.RUNTIME_PROFILE_CHANGED: "Runtime profile changed",
    E.TEMP_ENV_EXPIRY_WARNING: "Temporary environment expiring soon",
    E.TEMP_ENV_GRACE_STARTED: "Temporary environment grace period started",
    E.TEMP_ENV_EXPIRED: "Temporary environment expired",
    E.TEMP_ENV_DELETED: "Temporary environment deleted",
    E.TEMP_ENV_PROVISION_FAILED: "Temporary environment provisioning failed",
    E.INVITE: "Invitation",
    E.PASSWORD_RESET: "Password reset",
}

# Account mails: sent to the actor too and regardless of the email preference.
ACCOUNT_EVENTS: frozenset[NotificationEvent] = frozenset({E.INVITE, E.PASSWORD_RESET})

_MANAGERS = frozenset({Role.CONFIG_MANAGER, Role.APP_ADMIN})
_REVIEWERS_UP = frozenset({Role.REVIEWER, Role.CONFIG_MANAGER, Role.APP_ADMIN})
_EVERYONE = frozenset(Role)


class _Audience(Value, frozen=True, kw_only=True):
    roles: frozenset[Role] = frozenset()
    author: bool = False
    creator: bool = False
    earlier_reviewers: bool = False


_AUTHOR = _Audience(author=True)
_CREATOR = _Audience(creator=True)
_AUDIENCES: Mapping[NotificationEvent, _Audience] = {
    E.CHANGESET_SUBMITTED: _Audience(roles=_REVIEWERS_UP),
    E.REVIEW_REQUESTED: _Audience(earlier_reviewers=True),
    E.CHANGESET_APPROVED: _AUTHOR,
    E.CHANGES_REQUESTED: _AUTHOR,
    E.CHANGESET_REJECTED: _AUTHOR,
    E.CHANGESET_QUEUED: _Audience(roles=_MANAGERS, author=True),
    E.CHANGESET_CONFLICTED: _AUTHOR,
    E.CHANGESET_NEEDS_REVALIDATION: _AUTHOR,
    E.RELEASE_CREATED: _Audience(roles=_MANAGERS),
    E.RELEASE_PUBLISHED: _Audience(roles=_EVERYONE),
    E.DEPLOYMENT_STARTED: _Audience(roles=_MANAGERS),
    E.DEPLOYMENT_SUCCEEDED: _Audience(roles=_EVERYONE),
    E.DEPLOYMENT_FAILED: _Audience(roles=_MANAGERS),
    E.DEPLOYMENT_BLOCKED_BY_DRIFT: _Audience(roles=_MANAGERS),
    E.RUNTIME_PROFILE_CHANGED: _Audience(roles=_MANAGERS),
    E.TEMP_ENV_EXPIRY_WARNING: _CREATOR,
    E.TEMP_ENV_GRACE_STARTED: _CREATOR,
    E.TEMP_ENV_EXPIRED: _CREATOR,
    E.TEMP_ENV_DELETED: _CREATOR,
    E.TEMP_ENV_PROVISION_FAILED: _CREATOR,
}


class MemberRef(Value, frozen=True, kw_only=True):
    """A member of the app as seen by the recipient rules."""

    user_id: str
    role: Role


def audience_user_ids(
    event: NotificationEvent,
    members: Sequence[MemberRef],
    *,
    author_user_id: str | None = None,
    creator_user_id: str | None = None,
    earlier_reviewer_ids: Iterable[str] = (),
) -> list[str]:
    """Return the candidate recipients of an app event, in member order, without repeats.

    Recipients are app members only, so an author or creator who left the app gets
    nothing. Invite and password-reset mails have no member audience: they go to the
    invitee's address or the user, which the caller knows; asking for them raises
    ``ValueError``.
    """
    audience = _AUDIENCES.get(event)
    if audience is None:
        raise ValueError(f"{event} is addressed directly, not to app members")
    reviewers = set(earlier_reviewer_ids) if audience.earlier_reviewers else set()
    chosen: list[str] = []
    for member in members:
        wanted = (
            member.role in audience.roles
            or (audience.author and member.user_id == author_user_id)
            or (audience.creator and member.user_id == creator_user_id)
            or member.user_id in reviewers
        )
        if wanted and member.user_id not in chosen:
            chosen.append(member.user_id)
    return chosen


def filter_recipients(
    event: NotificationEvent,
    candidates: Iterable[str],
    *,
    actor_user_id: str | None,
    email_enabled: Mapping[str, bool],
) -> list[str]:
    """Apply the §18.1 filters to candidate user ids (order kept, repeats dropped).

    - The actor is never notified about their own action (``actor_user_id`` None = the
      system acted, nobody is dropped).
    - A user whose preference says ``email_enabled: false`` is dropped; a user without
      a preference counts as enabled.
    - Invite and password-reset mails are exempt from both rules.
    """
    account_mail = event in ACCOUNT_EVENTS
    kept: list[str] = []
    for candidate in candidates:
        if candidate in kept:
            continue
        if not account_mail and (
            candidate == actor_user_id or not email_enabled.get(candidate, True)
        ):
            continue
        kept.append(candidate)
    return kept


_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")


def _one_line(text: str) -> str:
    # Names and titles are user input; a newline in a Subject header is an injection.
    return _HEADER_UNSAFE.sub(" ", text).strip()


def subject_for(
    event: NotificationEvent, *, app_name: str = "", entity_title: str = "", entity_id: str = ""
) -> str:
    """Return the Subject line of DOMAIN.md §18.2.

    ``[<app name>] <Event text>: <entity title or id>``; the invite mail says
    ``You're invited to <app name>`` and the reset mail "Reset your Conman password".
    Control characters (line breaks) in the inputs become spaces.
    """
    if event is E.PASSWORD_RESET:
        return "Reset your Conman password"
    if event is E.INVITE:
        return f"You're invited to {_one_line(app_name)}"
    label = _one_line(entity_title) or _one_line(entity_id)
    return f"[{_one_line(app_name)}] {EVENT_TEXTS[event]}: {label}"


class TemplateData(Value, frozen=True, kw_only=True):
    """The data every notification template can use (DOMAIN.md §18.2), plus extras."""

    event_type: NotificationEvent
    app_name: str = ""
    entity_id: str = ""
    entity_title: str = ""
    actor_name: str = ""
    link_url: str = ""
    extras: dict[str, str] = msgspec.field(default_factory=dict)

    def as_mapping(self) -> dict[str, str]:
        """Every placeholder value, extras last (they cannot shadow the standard keys)."""
        base = {
            "event_type": str(self.event_type),
            "event_text": EVENT_TEXTS[self.event_type],
            "app_name": self.app_name,
            "entity_id": self.entity_id,
            "entity_title": self.entity_title,
            "entity_label": self.entity_title or self.entity_id,
            "actor_name": self.actor_name,
            "link_url": self.link_url,
        }
        return {**self.extras, **base}


_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def render_template(template: str, data: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders from ``data``; no expressions, no attribute access.

    A line whose placeholders all render empty is dropped (for example "By: {actor_name}"
    for a system action). An unknown placeholder raises ``Validation``: templates are
    fixed by the code, so that is a programming error caught by the tests.
    """
    lines: list[str] = []
    for line in template.split("\n"):
        names = _PLACEHOLDER.findall(line)
        missing = [name for name in names if name not in data]
        if missing:
            raise Validation(f"unknown template placeholder: {missing[0]}")
        if names and not any(data[name] for name in names):
            continue
        lines.append(_PLACEHOLDER.sub(lambda match: data[match.group(1)], line))
    return "\n".join(lines)


_EVENT_BODY = """{event_text} in {app_name}: {entity_label}
By: {actor_name}

{link_url}

You get this mail as a member of {app_name}. Mails can be turned off in your \
notification preferences."""

_INVITE_BODY = """{greeting}

Set your password and accept the invitation here:
{link_url}

If you did not expect this invitation, ignore this mail."""

_RESET_BODY = """Someone asked to reset the password of your Conman account.

Choose a new password here (the link works once, for 1 hour):
{link_url}

If that was not you, ignore this mail: your password stays unchanged."""


class RenderedMail(Value, frozen=True, kw_only=True):
    """Subject and plain-text body of one notification mail."""

    subject: str
    text: str


def render_mail(data: TemplateData) -> RenderedMail:
    """Render the subject and plain-text body of a notification."""
    event = data.event_type
    values = data.as_mapping()
    if event is E.INVITE:
        body = _INVITE_BODY
        app = data.app_name or "an app"
        inviter = data.actor_name or "Someone"
        values["greeting"] = f"{inviter} invited you to {app} on Conman."
    elif event is E.PASSWORD_RESET:
        body = _RESET_BODY
    else:
        body = _EVENT_BODY
    subject = subject_for(
        event, app_name=data.app_name, entity_title=data.entity_title, entity_id=data.entity_id
    )
    return RenderedMail(subject=subject, text=render_template(body, values))


OUTBOX_MAX_ATTEMPTS = 4
OUTBOX_BACKOFF_SECONDS: tuple[int, ...] = (10, 60, 300)


class OutboxRetry(Value, frozen=True, kw_only=True):
    """What the runner does with an outbox document after a failed send."""

    failed: bool
    next_attempt_at: datetime | None = None


def after_send_failure(attempts: int, now: datetime) -> OutboxRetry:
    """Decide the next step after the ``attempts``-th attempt (1-based) failed at ``now``.

    Attempts 1, 2 and 3 are retried after 10 s, 60 s and 300 s; the 4th failure marks
    the document failed (DOMAIN.md §18.2). ``attempts`` < 1 raises ``ValueError``.
    """
    if attempts < 1:
        raise ValueError("attempts counts the failed attempt, so it is at least 1")
    if attempts >= OUTBOX_MAX_ATTEMPTS:
        return OutboxRetry(failed=True)
    delay = OUTBOX_BACKOFF_SECONDS[attempts - 1]
    return OutboxRetry(failed=False, next_attempt_at=now + timedelta(seconds=delay))
