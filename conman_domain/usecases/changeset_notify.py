"""Notification emission for changeset events (DOMAIN.md §18), through
``conman_domain.usecases.notify``."""

from __future__ import annotations

from collections.abc import Iterable

from conman_domain.model import App, Changeset, NotificationEvent
from conman_domain.usecases.changeset_deps import ChangesetDeps
from conman_domain.usecases.notify import Audience, Subject, notify_members

__all__ = ["notify_changeset"]


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
    return notify_members(
        deps.repos,
        deps.ids,
        deps.clock,
        public_url=deps.public_url,
        event=event,
        app=app,
        subject=Subject(
            entity_id=changeset.id, title=changeset.title, path=f"changesets/{changeset.id}"
        ),
        actor_user_id=actor_user_id,
        audience=Audience(
            author_user_id=changeset.author_user_id,
            earlier_reviewer_ids=tuple(earlier_reviewer_ids),
        ),
    )
