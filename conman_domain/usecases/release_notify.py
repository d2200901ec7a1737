"""Notification emission for release events (DOMAIN.md §18.1): ``release_created`` to
config managers and app admins, ``release_published`` to every member, through
``conman_domain.usecases.notify``."""

from __future__ import annotations

from conman_domain.model import App, NotificationEvent, Release
from conman_domain.usecases.notify import Subject, notify_members
from conman_domain.usecases.release_shapes import ReleaseDeps

__all__ = ["notify_release"]


def notify_release(
    deps: ReleaseDeps,
    event: NotificationEvent,
    app: App,
    release: Release,
    actor_user_id: str | None,
) -> int:
    """Queue ``event`` about ``release`` for its audience; returns the number queued."""
    return notify_members(
        deps.repos,
        deps.ids,
        deps.clock,
        public_url=deps.public_url,
        event=event,
        app=app,
        subject=Subject(
            entity_id=release.id, title=release.tag or release.id, path=f"releases/{release.id}"
        ),
        actor_user_id=actor_user_id,
    )
