"""Notification emission for release events (DOMAIN.md §18.1): ``release_created`` to
config managers and app admins, ``release_published`` to every member. Emission never
fails the request: a store error is logged and the request goes on."""

from __future__ import annotations

import logging

from conman_domain.errors import ConmanError
from conman_domain.model import App, NotificationEvent, Release, Role
from conman_domain.notifications import (
    MemberRef,
    TemplateData,
    audience_user_ids,
    filter_recipients,
)
from conman_domain.usecases.outbox import queue_mail
from conman_domain.usecases.release_shapes import ReleaseDeps

__all__ = ["notify_release"]

_log = logging.getLogger("conman.notifications")


def notify_release(
    deps: ReleaseDeps,
    event: NotificationEvent,
    app: App,
    release: Release,
    actor_user_id: str | None,
) -> int:
    """Queue ``event`` about ``release`` for its audience; returns the number queued."""
    try:
        return _emit(deps, event, app, release, actor_user_id)
    except ConmanError as exc:
        _log.error("could not emit %s for release %s: %s", event, release.id, exc.message)
        return 0


def _emit(
    deps: ReleaseDeps,
    event: NotificationEvent,
    app: App,
    release: Release,
    actor_user_id: str | None,
) -> int:
    repos = deps.repos
    members = [
        MemberRef(user_id=m.user_id, role=Role(m.role))
        for m in repos.memberships.all({"app_id": app.id}, sort=(("created_at", 1),))
    ]
    candidates = audience_user_ids(event, members)
    if not candidates:
        return 0
    prefs = repos.notification_preferences.all({"user_id": {"$in": candidates}})
    recipients = filter_recipients(
        event,
        candidates,
        actor_user_id=actor_user_id,
        email_enabled={p.user_id: p.email_enabled for p in prefs},
    )
    actor = None if actor_user_id is None else repos.users.find_one({"id": actor_user_id})
    data = TemplateData(
        event_type=event,
        app_name=app.name,
        entity_id=release.id,
        entity_title=release.tag or release.id,
        actor_name="" if actor is None else actor.name,
        link_url=f"{deps.public_url}/apps/{app.id}/releases/{release.id}",
    )
    ids = sorted(set(recipients))
    users = {u.id: u for u in repos.users.all({"id": {"$in": ids}})} if ids else {}
    queued = 0
    for user_id in recipients:
        user = users.get(user_id)
        if user is None:
            continue
        doc = queue_mail(
            repos.notification_outbox,
            deps.ids,
            deps.clock,
            data=data,
            to_email=user.email,
            recipient_user_id=user_id,
            app_id=app.id,
        )
        queued += doc is not None
    return queued
