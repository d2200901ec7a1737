"""Shortcuts for the queue HTTP tests: queued changesets stored directly (fast setup),
the two queue calls and the stored positions."""

from __future__ import annotations

from typing import Any

from conman_domain.model import Changeset, ChangesetState, User
from tests.http.changeset_world import World

__all__ = ["get_queue", "insert_changeset", "positions", "reorder", "three_queued"]


def insert_changeset(
    w: World,
    owner: User,
    position: int | None,
    state: ChangesetState = ChangesetState.QUEUED,
    **fields: Any,
) -> Changeset:
    """A changeset of ``owner`` on a fresh workspace, stored directly (fast setup)."""
    ws = w.new_workspace(owner, f"ws/{owner.name}/{w.env.services.deps.ids.new_id()}")
    now = w.env.clock.now()
    return w.repos.changesets.insert(
        Changeset(
            id=w.env.services.deps.ids.new_id(), created_at=now, updated_at=now,
            app_id=w.app_id, workspace_id=ws.id, author_user_id=owner.id,
            created_by=owner.id, title=f"change at {position}", state=state,
            queue_position=position if state is ChangesetState.QUEUED else None,
            queued_at=now if state is ChangesetState.QUEUED else None, **fields,
        )
    )  # fmt: skip


def get_queue(w: World, user: User | None = None, **query: Any) -> Any:
    return w.call("GET", user or w.author, "/queue", params=query)


def reorder(w: World, body: Any, user: User | None = None) -> Any:
    return w.call("POST", user or w.cm, "/queue/reorder", body)


def positions(w: World) -> dict[str, int | None]:
    found = w.repos.changesets.all({"app_id": w.app_id, "state": "queued"})
    return {c.id: c.queue_position for c in found}


def three_queued(w: World) -> list[str]:
    """Queued changesets at positions 1, 2, 3 (ids in that order)."""
    return [insert_changeset(w, w.author, p).id for p in (1, 2, 3)]
