"""Notification emission for changeset events (DOMAIN.md §18).

One outbox document per recipient; recipients follow ``audience_user_ids`` and the
§18.1 filters (never the actor, respect ``email_enabled``). Emission never fails the
request: a store error is logged and the request goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from conman_domain.errors import ConmanError
from conman_domain.model import App, Changeset, NotificationEvent, Role
from conman_domain.notifications import (
    MemberRef,
    TemplateData,
    audience_user_ids,
    filter_recipients,
)
from conman_domain.usecases.changeset_deps import ChangesetDeps
from conman_domain.usecases.outbox import queue_mail

__all__ = ["notify_changeset"]

_log = logging.getLogger("conman.notifications")


def notify_changeset(
    deps: ChangesetDeps,
    event: NotificationEvent,
    app: App,
    changeset: Changeset,
    actor_user_id: str | None,
    *,
    earlier_reviewer_ids: Iterable[str] = (),
) -> int:
    """Queue ``event`` about ``changeset`` for its audience; returns the number queued."""
    try:
        return _emit(deps, event, app, changeset, actor_user_id, list(earlier_reviewer_ids))
    except ConmanError as exc:
        _log.error("could not emit %s for changeset %s: %s", event, changeset.id, exc.message)
        return 0


def _emit(  # noqa: PLR0917
    deps: ChangesetDeps,
    event: NotificationEvent,
    app: App,
    changeset: Changeset,
    actor_user_id: str | None,
    earlier_reviewer_ids: list[str],
) -> int:
    repos = deps.repos
    members = [
        MemberRef(user_id=m.user_id, role=Role(m.role))
        for m in repos.memberships.all({"app_id": app.id}, sort=(("created_at", 1),))
    ]
    candidates = audience_user_ids(
        event,
        members,
        author_user_id=changeset.author_user_id,
        earlier_reviewer_ids=earlier_reviewer_ids,
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
    actor = None if actor_user_id is None else repos.users.find_one({"id": actor_user_id})
    data = TemplateData(
        event_type=event,
        app_name=app.name,
        entity_id=changeset.id,
        entity_title=changeset.title,
        actor_name="" if actor is None else actor.name,
        link_url=f"{deps.public_url}/apps/{app.id}/changesets/{changeset.id}",
    )
    # The recipients' users in one query (one outbox insert per recipient remains).
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
