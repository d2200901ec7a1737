"""Notification emission to app members (DOMAIN.md §18.1-18.2), shared by every feature.

One outbox document per recipient. Recipients follow ``audience_user_ids`` and the
§18.1 filters (never the actor, respect ``email_enabled``). Emission never fails the
request: a store error is logged and the caller goes on.
"""

from __future__ import annotations

import logging
from typing import Protocol

import msgspec

from conman_domain.errors import ConmanError
from conman_domain.model import (
    App,
    Membership,
    NotificationEvent,
    NotificationOutbox,
    NotificationPreference,
    Role,
    User,
)
from conman_domain.notifications import (
    MemberRef,
    TemplateData,
    audience_user_ids,
    filter_recipients,
)
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.ids import IdPort
from conman_domain.ports.repos import MutableRepoPort
from conman_domain.usecases.outbox import queue_mail

__all__ = ["Audience", "NotifyRepos", "Subject", "notify_members"]

_log = logging.getLogger("conman.notifications")


class NotifyRepos(Protocol):
    """The collections emission reads and writes."""

    @property
    def memberships(self) -> MutableRepoPort[Membership]: ...

    @property
    def notification_preferences(self) -> MutableRepoPort[NotificationPreference]: ...

    @property
    def users(self) -> MutableRepoPort[User]: ...

    @property
    def notification_outbox(self) -> MutableRepoPort[NotificationOutbox]: ...


class Subject(msgspec.Struct, frozen=True, kw_only=True):
    """The entity an event is about: its id, title and path under the app's web UI."""

    entity_id: str
    title: str
    path: str  # e.g. "changesets/<id>"; the link is <public_url>/apps/<app>/<path>
    extras: dict[str, str] = msgspec.field(default_factory=dict)


class Audience(msgspec.Struct, frozen=True, kw_only=True):
    """The entity-specific people of §18.1 (author, creator, earlier reviewers)."""

    author_user_id: str | None = None
    creator_user_id: str | None = None
    earlier_reviewer_ids: tuple[str, ...] = ()


_EVERYONE = Audience()  # no entity-specific people: the event's role-based audience only


def notify_members(
    repos: NotifyRepos,
    ids: IdPort,
    clock: ClockPort,
    *,
    public_url: str,
    event: NotificationEvent,
    app: App,
    subject: Subject,
    actor_user_id: str | None,
    audience: Audience = _EVERYONE,
) -> int:
    """Queue ``event`` about ``subject`` for its audience; returns the number queued.
    Never raises: a store error is logged and 0 returned."""
    try:
        return _emit(repos, ids, clock, public_url, event, app, subject, actor_user_id, audience)
    except ConmanError as exc:
        _log.error("could not emit %s for %s: %s", event, subject.entity_id, exc.message)
        return 0


def _emit(  # noqa: PLR0917
    repos: NotifyRepos,
    ids: IdPort,
    clock: ClockPort,
    public_url: str,
    event: NotificationEvent,
    app: App,
    subject: Subject,
    actor_user_id: str | None,
    audience: Audience,
) -> int:
    members = [
        MemberRef(user_id=m.user_id, role=Role(m.role))
        for m in repos.memberships.all({"app_id": app.id}, sort=(("created_at", 1),))
    ]
    candidates = audience_user_ids(
        event,
        members,
        author_user_id=audience.author_user_id,
        creator_user_id=audience.creator_user_id,
        earlier_reviewer_ids=audience.earlier_reviewer_ids,
    )
    if not candidates:
        return 0
    prefs = repos.notification_preferences.all({"user_id": {"$in": candidates}})
    recipients = filter_recipients(
        event,
        candidates,
        actor_user_id=actor_user_id,
        email_enabled={p.user_id: p.email_enabled for p in prefs},
    )
    if not recipients:
        return 0
    actor = None if actor_user_id is None else repos.users.find_one({"id": actor_user_id})
    data = TemplateData(
        event_type=event,
        app_name=app.name,
        entity_id=subject.entity_id,
        entity_title=subject.title,
        actor_name="" if actor is None else actor.name,
        link_url=f"{public_url.rstrip('/')}/apps/{app.id}/{subject.path}",
        extras=dict(subject.extras),
    )
    # The recipients' users in one query; one outbox insert per recipient remains.
    users = {u.id: u for u in repos.users.all({"id": {"$in": sorted(set(recipients))}})}
    queued = 0
    for user_id in recipients:
        user = users.get(user_id)
        if user is None:
            continue
        doc = queue_mail(
            repos.notification_outbox,
            ids,
            clock,
            data=data,
            to_email=user.email,
            recipient_user_id=user_id,
            app_id=app.id,
        )
        queued += doc is not None
    return queued
