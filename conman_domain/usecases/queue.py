"""The release queue: listing and reordering (DOMAIN.md §12.1; API.md §10).

The listing is the app's queued changesets by ``queue_position`` ascending, as
QueueItems; authors and workspaces are read with one ``$in`` query each per page.

Reordering takes an exact permutation of the queued changeset ids and sets the
positions to index x 1000. The writes are compare-and-set per changeset in two
passes (temporary negative positions, then the final ones), so the unique
(app_id, queue_position) index of queued changesets holds at every step. When a
write loses a race (the changeset changed, or a position is taken), or the queued
set is different once the writes are done, the positions already written are
restored and the reorder fails with 409 ``conflict``: nothing is left changed.
"""

from __future__ import annotations

import builtins
import logging
from datetime import datetime
from typing import Any

import msgspec

from conman_domain.errors import Conflict, FieldError, Validation
from conman_domain.model import Changeset, ChangesetState, RevalidationStatus
from conman_domain.rbac import Capability, check
from conman_domain.usecases.changeset_deps import (
    CAS_RETRIES,
    Caller,
    ChangesetDeps,
    check_object_id,
)

__all__ = ["POSITION_STEP", "QueueItemView", "QueueService", "ReorderResult"]

POSITION_STEP = 1000
"""Final positions are index x ``POSITION_STEP`` (API.md §10)."""

_FIELD = "ordered_changeset_ids"
_log = logging.getLogger("conman.queue")


class QueueItemView(msgspec.Struct, kw_only=True):
    """API shape QueueItem (API.md §2). ``author_email`` and ``workspace_branch`` are
    null only if the user or workspace document is missing."""

    changeset_id: str
    title: str
    author_user_id: str
    author_email: str | None
    workspace_branch: str | None
    head_sha: str | None
    queue_position: int | None
    queued_at: datetime | None
    release_id: str | None
    last_revalidation_status: RevalidationStatus | None
    last_revalidation_job_id: str | None


class ReorderResult(msgspec.Struct, kw_only=True):
    """The body of a successful reorder."""

    reordered_count: int


def _queued(app_id: str) -> dict[str, Any]:
    return {"app_id": app_id, "state": ChangesetState.QUEUED.value}


def _bad(message: str, fields: list[FieldError]) -> Validation:
    return Validation(f"{_FIELD}: {message}", fields)


def check_permutation_input(ids: list[str]) -> None:
    """Well-formed ids without duplicates (400 otherwise), before anything is loaded."""
    for index, value in enumerate(ids):
        check_object_id(f"{_FIELD}[{index}]", value)
    seen: set[str] = set()
    duplicates: list[FieldError] = []
    for index, value in enumerate(ids):
        if value in seen:
            duplicates.append(FieldError(f"{_FIELD}[{index}]", f"duplicate id {value}"))
        seen.add(value)
    if duplicates:
        raise _bad("duplicate changeset ids", duplicates)


def check_permutation(ids: list[str], queued: set[str]) -> None:
    """``ids`` must name every queued changeset exactly once (400 otherwise)."""
    missing = sorted(queued - set(ids))
    extra = [value for value in ids if value not in queued]
    if not missing and not extra:
        return
    fields = [FieldError(_FIELD, f"missing queued changeset {value}") for value in missing]
    fields += [
        FieldError(f"{_FIELD}[{ids.index(value)}]", f"{value} is not a queued changeset")
        for value in extra
    ]
    raise _bad("must be a permutation of the queued changeset ids", fields)


class _Slot(msgspec.Struct, kw_only=True):
    """One changeset of a reorder: where it was, where it goes, and what we wrote."""

    changeset_id: str
    original: int | None
    temporary: int
    final: int
    version: int
    written: int | None = None
    """The position we last wrote (``version`` is then the version we produced)."""


class _Writer:
    """The compare-and-set writes of one reorder, and their undoing."""

    def __init__(self, deps: ChangesetDeps, slots: list[_Slot]) -> None:
        self._repo = deps.repos.changesets
        self._slots = slots

    def write_all(self, final: bool) -> None:
        """One pass: every slot to its temporary (or final) position. ``Conflict``
        when a changeset changed since it was read or a position is taken."""
        for slot in self._slots:
            position = slot.final if final else slot.temporary
            slot.version = self._repo.set_fields(
                slot.changeset_id, slot.version, {"queue_position": position}
            )
            slot.written = position

    def restore(self) -> None:
        """Put back the original positions of the slots written so far, again in two
        passes. A changeset whose position someone else changed since our write is left
        as they left it (and logged)."""
        written = [s for s in self._slots if s.written is not None]
        for slot in written:
            if slot.written != slot.temporary:
                self._put(slot, slot.temporary)
        for slot in written:
            if slot.written is not None:
                self._put(slot, slot.original)

    def _put(self, slot: _Slot, position: int | None) -> None:
        """Compare-and-set ``position``. After a lost race the changeset is re-read: while
        it still holds the position we wrote (someone changed another field), the write
        is retried on the fresh version; otherwise its position is no longer ours."""
        for _ in range(CAS_RETRIES):
            try:
                slot.version = self._repo.set_fields(
                    slot.changeset_id, slot.version, {"queue_position": position}
                )
                slot.written = position
                return
            except Conflict:
                current = self._repo.get(slot.changeset_id)
                if current.queue_position != slot.written:
                    break
                slot.version = current.version
        _log.warning(
            "queue reorder: changeset %s changed concurrently; its position was not restored",
            slot.changeset_id,
        )
        slot.written = None


class QueueService:
    """GET queue (member) and POST queue/reorder (CM+)."""

    def __init__(self, deps: ChangesetDeps) -> None:
        self._d = deps

    def list(self, caller: Caller, page: int, limit: int) -> tuple[list[QueueItemView], int]:
        """Queued changesets by queue_position ascending (ties by id descending)."""
        repos = self._d.repos
        found = repos.changesets.list(_queued(caller.app.id), (("queue_position", 1),), page, limit)
        author_ids = sorted({c.author_user_id for c in found.items})
        workspace_ids = sorted({c.workspace_id for c in found.items})
        emails = (
            {u.id: u.email for u in repos.users.all({"id": {"$in": author_ids}})}
            if author_ids
            else {}
        )
        branches = (
            {
                w.id: w.branch_name
                for w in repos.workspaces.all(
                    {"id": {"$in": workspace_ids}, "app_id": caller.app.id}
                )
            }
            if workspace_ids
            else {}
        )
        items = [
            _item(c, emails.get(c.author_user_id), branches.get(c.workspace_id))
            for c in found.items
        ]
        return items, found.total

    def reorder(self, caller: Caller, ordered_ids: builtins.list[str]) -> ReorderResult:
        """Positions index x 1000 in the given order; see the module docstring."""
        check(Capability.REORDER_QUEUE, caller.role)
        check_permutation_input(ordered_ids)
        d = self._d
        queued = {c.id: c for c in d.repos.changesets.all(_queued(caller.app.id))}
        check_permutation(ordered_ids, set(queued))
        slots = [
            _Slot(
                changeset_id=cs_id,
                original=queued[cs_id].queue_position,
                temporary=-(index + 1),
                final=index * POSITION_STEP,
                version=queued[cs_id].version,
            )
            for index, cs_id in enumerate(ordered_ids)
        ]
        if slots:
            self._write(caller, slots)
            d.audit.record(
                caller.actor,
                "queue.reordered",
                app_id=caller.app.id,
                entity_id=caller.app.id,
                before={s.changeset_id: s.original for s in slots},
                after={s.changeset_id: s.final for s in slots},
            )
        return ReorderResult(reordered_count=len(slots))

    def _write(self, caller: Caller, slots: builtins.list[_Slot]) -> None:
        writer = _Writer(self._d, slots)
        try:
            writer.write_all(final=False)
            writer.write_all(final=True)
            now_queued = {c.id for c in self._d.repos.changesets.all(_queued(caller.app.id))}
            if now_queued != {s.changeset_id for s in slots}:
                raise Conflict("the queue changed during the reorder; nothing was changed")
        except Conflict as exc:
            writer.restore()
            raise Conflict(
                "the queue changed during the reorder; nothing was changed, try again"
            ) from exc


def _item(cs: Changeset, email: str | None, branch: str | None) -> QueueItemView:
    return QueueItemView(
        changeset_id=cs.id,
        title=cs.title,
        author_user_id=cs.author_user_id,
        author_email=email,
        workspace_branch=branch,
        head_sha=cs.head_sha,
        queue_position=cs.queue_position,
        queued_at=cs.queued_at,
        release_id=cs.release_id,
        last_revalidation_status=cs.last_revalidation_status,
        last_revalidation_job_id=cs.last_revalidation_job_id,
    )
