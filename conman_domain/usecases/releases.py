"""Release drafts: list, create, read, change members, reorder and start assembly
(DOMAIN.md §13.1-§13.2; API.md §11). Publishing is in ``release_publish``; the jobs
are in ``release_compose``.

Members are ``release_changesets`` rows with contiguous 0-based positions; the release's
``ordered_changeset_ids`` mirrors them. Only queued changesets that are in no non-draft
release (``changeset.release_id`` is null) can be selected.
"""

from __future__ import annotations

import builtins
from typing import Any

from conman_domain.errors import Conflict, FieldError, InvalidTransition, NotFound, Validation
from conman_domain.model import (
    Changeset,
    ChangesetState,
    JobType,
    NotificationEvent,
    Release,
    ReleaseChangeset,
    ReleaseState,
)
from conman_domain.rbac import Capability, check
from conman_domain.states import Actor as MachineActor
from conman_domain.states import TransitionContext, apply
from conman_domain.states.release import RELEASE_MACHINE
from conman_domain.usecases.changeset_deps import Caller
from conman_domain.usecases.release_input import check_release_ids
from conman_domain.usecases.release_notify import notify_release
from conman_domain.usecases.release_shapes import (
    ReleaseDeps,
    ReleaseView,
    enqueue_job,
    load_release,
    members_of,
    release_view,
    release_views,
    return_to_draft,
    save_release,
    set_changeset_release,
)

__all__ = ["ReleaseService"]


def _ctx(caller: Caller, facts: dict[str, Any] | None = None) -> TransitionContext:
    return TransitionContext(
        actor=MachineActor(user_id=caller.user_id, role=caller.role), facts=facts or {}
    )


class ReleaseService:
    """GET/POST releases, GET one, POST changesets, reorder and assemble."""

    def __init__(self, deps: ReleaseDeps) -> None:
        self._d = deps

    def list(
        self, caller: Caller, state: ReleaseState | None, page: int, limit: int
    ) -> tuple[builtins.list[ReleaseView], int]:
        """The app's releases, created_at descending (ties by id descending)."""
        where: dict[str, Any] = {"app_id": caller.app.id}
        if state is not None:
            where["state"] = state.value
        found = self._d.repos.releases.list(where, (("created_at", -1),), page, limit)
        return release_views(self._d, found.items), found.total

    def get(self, caller: Caller, release_id: str) -> ReleaseView:
        return release_view(self._d, load_release(self._d, caller.app, release_id))

    # -- selection -------------------------------------------------------------------

    def _selectable(self, caller: Caller, field: str, ids: builtins.list[str]) -> None:
        """Each id a changeset of the app (404), queued and free (400)."""
        d = self._d
        found = {
            c.id: c for c in d.repos.changesets.all({"id": {"$in": ids}, "app_id": caller.app.id})
        }
        missing = next((cs_id for cs_id in ids if cs_id not in found), None)
        if missing is not None:
            raise NotFound("changeset", missing)  # lookups (404) before guards (API.md §1.4)
        for index, cs_id in enumerate(ids):
            cs = found[cs_id]
            problem = None
            if cs.state != ChangesetState.QUEUED:
                problem = f"changeset {cs_id} is {cs.state.value}, not queued"
            elif cs.release_id is not None:
                problem = f"changeset {cs_id} is in another non-draft release"
            if problem is not None:
                raise Validation(f"{field}: {problem}", [FieldError(f"{field}[{index}]", problem)])

    def create(self, caller: Caller, changeset_ids: builtins.list[str]) -> ReleaseView:
        check(Capability.MANAGE_RELEASES, caller.role)
        check_release_ids("changeset_ids", changeset_ids)
        self._selectable(caller, "changeset_ids", changeset_ids)
        apply(RELEASE_MACHINE, None, "create", _ctx(caller, {"members_queued_and_free": True}))
        d = self._d
        now = d.clock.now()
        release = d.repos.releases.insert(
            Release(
                id=d.ids.new_id(),
                created_at=now,
                updated_at=now,
                app_id=caller.app.id,
                ordered_changeset_ids=list(changeset_ids),
                created_by=caller.user_id,
            )
        )
        self._write_members(release, [], list(changeset_ids))
        d.audit.record(
            caller.actor,
            "release.created",
            app_id=caller.app.id,
            entity_id=release.id,
            after={"state": release.state, "ordered_changeset_ids": changeset_ids},
        )
        notify_release(d, NotificationEvent.RELEASE_CREATED, caller.app, release, caller.user_id)
        return release_view(d, release)

    def _write_members(
        self,
        release: Release,
        current: builtins.list[ReleaseChangeset],
        ordered: builtins.list[str],
    ) -> None:
        """Make the member rows match ``ordered`` (positions 0..n-1): rows of removed
        changesets are deleted, positions rewritten in two passes (negative, then final)
        so no two rows ever share a position."""
        d = self._d
        repo = d.repos.release_changesets
        keep = {m.changeset_id: m for m in current}
        for member in current:
            if member.changeset_id not in ordered:
                repo.delete(member.id)
        versions = {}
        for index, cs_id in enumerate(ordered):
            kept = keep.get(cs_id)
            if kept is not None and kept.position != index:
                versions[cs_id] = repo.set_fields(kept.id, kept.version, {"position": -1 - index})
        now = d.clock.now()
        for index, cs_id in enumerate(ordered):
            row = keep.get(cs_id)
            if row is None:
                repo.insert(
                    ReleaseChangeset(
                        id=d.ids.new_id(),
                        created_at=now,
                        updated_at=now,
                        release_id=release.id,
                        changeset_id=cs_id,
                        position=index,
                    )
                )
            elif cs_id in versions:
                repo.set_fields(row.id, versions[cs_id], {"position": index})

    def _change_members(
        self, caller: Caller, release_id: str, build: Any, action: str
    ) -> ReleaseView:
        d = self._d
        release = load_release(d, caller.app, release_id)
        if release.state != ReleaseState.DRAFT_RELEASE:
            raise InvalidTransition(release.state.value, ReleaseState.DRAFT_RELEASE.value)
        current = members_of(d, release.id)
        before = [m.changeset_id for m in current]
        ordered = build(before)

        def write(r: Release) -> None:
            if r.state != ReleaseState.DRAFT_RELEASE or r.version != release.version:
                raise Conflict("the release changed concurrently; try again")
            r.ordered_changeset_ids = list(ordered)

        saved = save_release(d, release.id, write)
        self._write_members(saved, current, ordered)
        d.audit.record(
            caller.actor,
            action,
            app_id=caller.app.id,
            entity_id=release.id,
            before={"ordered_changeset_ids": before},
            after={"ordered_changeset_ids": ordered},
        )
        return release_view(d, saved)

    def modify(
        self,
        caller: Caller,
        release_id: str,
        add: builtins.list[str],
        remove: builtins.list[str],
    ) -> ReleaseView:
        """Removals first, then additions appended in the given order."""
        check(Capability.MANAGE_RELEASES, caller.role)
        check_release_ids("add", add)
        check_release_ids("remove", remove)
        if not add and not remove:
            message = "at least one of add and remove must be non-empty"
            raise Validation(message, [FieldError("add", message)])

        def build(before: builtins.list[str]) -> builtins.list[str]:
            unknown = set(add) - {
                c.id
                for c in self._d.repos.changesets.all({"id": {"$in": add}, "app_id": caller.app.id})
            }
            if unknown:
                raise NotFound("changeset", next(c for c in add if c in unknown))
            for index, cs_id in enumerate(remove):
                if cs_id not in before:
                    problem = f"changeset {cs_id} is not in the release"
                    raise Validation(
                        f"remove: {problem}", [FieldError(f"remove[{index}]", problem)]
                    )
            kept = [c for c in before if c not in remove]
            for index, cs_id in enumerate(add):
                if cs_id in kept:
                    problem = f"changeset {cs_id} is already in the release"
                    raise Validation(f"add: {problem}", [FieldError(f"add[{index}]", problem)])
            if add:
                self._selectable(caller, "add", add)
            return kept + list(add)

        return self._change_members(caller, release_id, build, "release.changesets_modified")

    def reorder(
        self, caller: Caller, release_id: str, ordered_ids: builtins.list[str]
    ) -> ReleaseView:
        check(Capability.MANAGE_RELEASES, caller.role)
        field = "ordered_changeset_ids"
        check_release_ids(field, ordered_ids)

        def build(before: builtins.list[str]) -> builtins.list[str]:
            if sorted(before) != sorted(ordered_ids):
                message = "must be a permutation of the release's changeset ids"
                raise Validation(f"{field}: {message}", [FieldError(field, message)])
            return list(ordered_ids)

        return self._change_members(caller, release_id, build, "release.reordered")

    # -- assembly --------------------------------------------------------------------

    def assemble(self, caller: Caller, release_id: str) -> ReleaseView:
        """draft_release → assembling; enqueue ``release_assemble`` (API.md §11)."""
        check(Capability.MANAGE_RELEASES, caller.role)
        d = self._d
        release = load_release(d, caller.app, release_id)
        members = members_of(d, release.id)
        if release.state != ReleaseState.DRAFT_RELEASE or not members:
            raise InvalidTransition(release.state.value, ReleaseState.ASSEMBLING.value)
        ids = [m.changeset_id for m in members]
        changesets: dict[str, Changeset] = {
            c.id: c for c in d.repos.changesets.all({"id": {"$in": ids}, "app_id": caller.app.id})
        }
        facts = {
            "has_members": True,
            "members_queued": all(
                c in changesets and changesets[c].state == ChangesetState.QUEUED for c in ids
            ),
            "members_free": all(
                changesets[c].release_id in (None, release.id) for c in ids if c in changesets
            ),
        }
        apply(RELEASE_MACHINE, release.state, "assemble", _ctx(caller, facts))
        job_id = d.ids.new_id()

        def start(r: Release) -> None:
            if r.state != ReleaseState.DRAFT_RELEASE or r.version != release.version:
                raise Conflict("the release changed concurrently; try again")
            r.state = ReleaseState.ASSEMBLING
            r.compose_job_id = job_id
            r.validation_job_id = None
            r.composed_sha = None

        saved = save_release(d, release.id, start)
        try:
            for cs_id in ids:
                set_changeset_release(d, cs_id, release.id, claim=True)
        except Conflict:
            return_to_draft(d, caller.app, release.id)  # a concurrent assembly won
            raise
        job = enqueue_job(
            d,
            app_id=caller.app.id,
            job_type=JobType.RELEASE_ASSEMBLE,
            entity_type="release",
            entity_id=release.id,
            payload={"release_id": release.id},
            created_by=caller.user_id,
            job_id=job_id,
        )
        d.audit.record(
            caller.actor,
            "release.assembly_started",
            app_id=caller.app.id,
            entity_id=release.id,
            before={"state": release.state},
            after={"state": saved.state, "compose_job_id": job.id},
        )
        return release_view(d, saved)
