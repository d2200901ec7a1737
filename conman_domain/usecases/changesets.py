"""Changesets: create, list, read, edit a draft, move to draft, and list revisions and
reviews (DOMAIN.md §9.1-§9.2; API.md §9).

State changes go through ``CHANGESET_MACHINE``, which checks the actor rule (403), the
(state, action) pair (409 ``invalid_transition``) and the guards, in the order of
API.md §1.4.
"""

from __future__ import annotations

import builtins
from typing import Any

import msgspec

from conman_domain.errors import Conflict, FieldError, InvalidTransition, NotFound, Validation
from conman_domain.model import Changeset, ChangesetState
from conman_domain.rbac import Capability, check
from conman_domain.states import CHANGESET_MACHINE, TransitionContext, apply
from conman_domain.states import Actor as MachineActor
from conman_domain.states.changeset import set_changeset_state
from conman_domain.usecases.changeset_deps import (
    Caller,
    ChangesetDeps,
    check_object_id,
    load_changeset,
    save_with_retry,
)
from conman_domain.usecases.changeset_shapes import (
    ChangesetView,
    ReviewView,
    RevisionView,
    changeset_view,
    review_view,
    revision_view,
)

__all__ = [
    "DESCRIPTION_MAX",
    "TITLE_MAX",
    "ChangesetFilter",
    "ChangesetService",
    "machine_context",
    "parse_states",
]

TITLE_MAX = 200
DESCRIPTION_MAX = 20_000


def _bad(field: str, message: str) -> Validation:
    return Validation(f"{field} {message}", [FieldError(field, message)])


def check_title(title: str) -> str:
    if not 1 <= len(title) <= TITLE_MAX:
        raise _bad("title", "must be 1..200 characters")
    return title


def check_description(description: str) -> str:
    if len(description) > DESCRIPTION_MAX:
        raise _bad("description", "must be at most 20000 characters")
    return description


def parse_states(raw: str | None) -> list[ChangesetState]:
    """``state`` query: one state or a comma-separated list; an unknown one → 400."""
    if raw is None:
        return []
    states = []
    for part in raw.split(","):
        try:
            states.append(ChangesetState(part))
        except ValueError:
            raise _bad("state", f"unknown changeset state {part!r}") from None
    return states


def machine_context(
    caller: Caller, owner_user_id: str, facts: dict[str, Any] | None = None
) -> TransitionContext:
    return TransitionContext(
        actor=MachineActor(user_id=caller.user_id, role=caller.role),
        owner_user_id=owner_user_id,
        facts=facts or {},
    )


class ChangesetFilter(msgspec.Struct, frozen=True, kw_only=True):
    states: list[ChangesetState] = msgspec.field(default_factory=list)
    author_user_id: str | None = None
    workspace_id: str | None = None


class ChangesetService:
    """The plain changeset use cases (submit, review, queue have their own modules)."""

    def __init__(self, deps: ChangesetDeps) -> None:
        self._d = deps

    def create(
        self, caller: Caller, *, workspace_id: str, title: str, description: str = ""
    ) -> ChangesetView:
        """A draft on the workspace; author = the workspace owner (API.md §9)."""
        check_object_id("workspace_id", workspace_id)
        check_title(title)
        check_description(description)
        d = self._d
        ws = d.repos.workspaces.find_one({"id": workspace_id, "app_id": caller.app.id})
        if ws is None:
            raise NotFound("workspace", workspace_id)
        is_open = d.repos.changesets.find_one(
            {"app_id": caller.app.id, "workspace_id": ws.id, "is_open": True}
        )
        ctx = machine_context(caller, ws.owner_user_id, {"no_open_changeset": is_open is None})
        apply(CHANGESET_MACHINE, None, "create", ctx)
        now = d.clock.now()
        changeset = Changeset(
            id=d.ids.new_id(),
            created_at=now,
            updated_at=now,
            app_id=caller.app.id,
            workspace_id=ws.id,
            author_user_id=ws.owner_user_id,
            created_by=caller.user_id,
            title=title,
            description=description,
            required_approval_count=caller.app.settings.required_approvals,
        )
        try:
            stored = d.repos.changesets.insert(changeset)
        except Conflict as exc:
            raise Conflict("the workspace already has an open changeset") from exc
        view = changeset_view(stored)
        d.audit.record(
            caller.actor, "changeset.created", app_id=caller.app.id, entity_id=stored.id, after=view
        )
        return view

    def list(
        self, caller: Caller, flt: ChangesetFilter, page: int, limit: int
    ) -> tuple[list[ChangesetView], int]:
        """Changesets by updated_at descending."""
        check_object_id("author_user_id", flt.author_user_id)
        check_object_id("workspace_id", flt.workspace_id)
        where: dict[str, Any] = {"app_id": caller.app.id}
        if flt.states:
            where["state"] = {"$in": [s.value for s in flt.states]}
        if flt.author_user_id is not None:
            where["author_user_id"] = flt.author_user_id
        if flt.workspace_id is not None:
            where["workspace_id"] = flt.workspace_id
        found = self._d.repos.changesets.list(where, (("updated_at", -1),), page, limit)
        return [changeset_view(c) for c in found.items], found.total

    def get(self, caller: Caller, changeset_id: str) -> ChangesetView:
        return changeset_view(load_changeset(self._d, caller.app, changeset_id))

    def update(
        self,
        caller: Caller,
        changeset_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
    ) -> ChangesetView:
        """PATCH a draft's title and/or description (author or CM+)."""
        if title is None and description is None:
            raise _bad("body", "must contain title or description")
        if title is not None:
            check_title(title)
        if description is not None:
            check_description(description)
        cs = load_changeset(self._d, caller.app, changeset_id)
        check(Capability.PATCH_DRAFT, caller.role, caller.user_id == cs.author_user_id)
        before = {"title": cs.title, "description": cs.description}

        def change(current: Changeset) -> None:
            if current.state is not ChangesetState.DRAFT:
                raise InvalidTransition(current.state.value, current.state.value)
            if title is not None:
                current.title = title
            if description is not None:
                current.description = description

        saved = save_with_retry(self._d, cs.id, change)
        self._d.audit.record(
            caller.actor,
            "changeset.updated",
            app_id=caller.app.id,
            entity_id=cs.id,
            before=before,
            after={"title": saved.title, "description": saved.description},
        )
        return changeset_view(saved)

    def move_to_draft(self, caller: Caller, changeset_id: str) -> ChangesetView:
        """changes_requested / conflicted / needs_revalidation → draft (author or CM+)."""
        cs = load_changeset(self._d, caller.app, changeset_id)
        before = cs.state

        def change(current: Changeset) -> None:
            target = apply(
                CHANGESET_MACHINE,
                current.state,
                "move_to_draft",
                machine_context(caller, current.author_user_id),
            )
            set_changeset_state(current, ChangesetState(target))

        saved = save_with_retry(self._d, cs.id, change)
        self._d.audit.record(
            caller.actor,
            "changeset.moved_to_draft",
            app_id=caller.app.id,
            entity_id=cs.id,
            before={"state": before},
            after={"state": saved.state},
        )
        return changeset_view(saved)

    def revisions(
        self, caller: Caller, changeset_id: str, page: int, limit: int
    ) -> tuple[builtins.list[RevisionView], int]:
        """Revisions by revision_number descending."""
        cs = load_changeset(self._d, caller.app, changeset_id)
        found = self._d.repos.changeset_revisions.list(
            {"changeset_id": cs.id}, (("revision_number", -1),), page, limit
        )
        return [revision_view(r) for r in found.items], found.total

    def reviews(
        self, caller: Caller, changeset_id: str, revision_number: int | None, page: int, limit: int
    ) -> tuple[builtins.list[ReviewView], int]:
        """Reviews by created_at descending, optionally of one revision."""
        cs = load_changeset(self._d, caller.app, changeset_id)
        where: dict[str, Any] = {"changeset_id": cs.id}
        if revision_number is not None:
            where["revision_number"] = revision_number
        found = self._d.repos.reviews.list(where, (("created_at", -1),), page, limit)
        return [review_view(r) for r in found.items], found.total
