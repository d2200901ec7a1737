"""Changeset comments (DOMAIN.md §9.5; API.md §9 comments).

Any member comments and resolves. A ``file_path`` must be one of the changed paths of
the changeset's current diff range: head = ``head_sha`` (non-draft) or the workspace's
working head (draft), base = merge-base(head, integration head). Body edits are the
comment author's only; the previous body is kept as a ``CommentRevision``.
"""

from __future__ import annotations

from typing import Any

from conman_domain.errors import Conflict, FieldError, NotFound, Validation
from conman_domain.model import Changeset, ChangesetState, Comment, CommentRevision
from conman_domain.rbac import Capability, check
from conman_domain.usecases.changeset_deps import (
    CAS_RETRIES,
    Caller,
    ChangesetDeps,
    autosave_ref,
    branch_ref,
    check_object_id,
    integration_head,
    load_changeset,
)
from conman_domain.usecases.changeset_shapes import CommentView, comment_view

__all__ = ["BODY_MAX", "CommentsService", "diff_range"]

BODY_MAX = 10_000


def _bad(field: str, message: str) -> Validation:
    return Validation(f"{field} {message}", [FieldError(field, message)])


def _check_body(body: str) -> None:
    if not 1 <= len(body) <= BODY_MAX:
        raise _bad("body", "must be 1..10000 characters")


def diff_range(deps: ChangesetDeps, caller: Caller, cs: Changeset) -> tuple[str | None, str]:
    """(base, head) of the changeset's diff (DOMAIN.md §9.5)."""
    head = cs.head_sha
    if cs.state is ChangesetState.DRAFT or head is None:
        ws = deps.repos.workspaces.find_one({"id": cs.workspace_id, "app_id": caller.app.id})
        if ws is None:
            raise NotFound("workspace", cs.workspace_id)
        head = deps.git.resolve(caller.repo, autosave_ref(ws.id)) or deps.git.resolve(
            caller.repo, branch_ref(ws.branch_name)
        )
        if head is None:
            raise NotFound("branch", ws.branch_name)
    base = deps.git.merge_base(caller.repo, head, integration_head(deps, caller.app))
    return base, head


class CommentsService:
    def __init__(self, deps: ChangesetDeps) -> None:
        self._d = deps

    def create(
        self,
        caller: Caller,
        changeset_id: str,
        *,
        body: str,
        file_path: str | None = None,
        line_number: int | None = None,
        parent_comment_id: str | None = None,
    ) -> CommentView:
        _check_body(body)
        if line_number is not None and line_number < 1:
            raise _bad("line_number", "must be >= 1")
        if line_number is not None and file_path is None:
            raise _bad("line_number", "requires file_path")
        check_object_id("parent_comment_id", parent_comment_id)
        d = self._d
        cs = load_changeset(d, caller.app, changeset_id)
        if parent_comment_id is not None:
            parent = d.repos.comments.find_one({"id": parent_comment_id})
            if (
                parent is None
                or d.repos.changesets.find_one({"id": parent.changeset_id, "app_id": caller.app.id})
                is None
            ):
                raise NotFound("comment", parent_comment_id)
            if parent.changeset_id != cs.id:
                raise _bad("parent_comment_id", "belongs to another changeset")
        check(Capability.COMMENT, caller.role)
        if file_path is not None:
            base, head = diff_range(d, caller, cs)
            if file_path not in d.git.diff(caller.repo, base, head).changed_paths:
                raise _bad("file_path", "is not among the changed paths of the diff")
        now = d.clock.now()
        comment = d.repos.comments.insert(
            Comment(
                id=d.ids.new_id(),
                created_at=now,
                updated_at=now,
                changeset_id=cs.id,
                author_user_id=caller.user_id,
                body=body,
                file_path=file_path,
                line_number=line_number,
                parent_comment_id=parent_comment_id,
            )
        )
        view = comment_view(comment)
        d.audit.record(
            caller.actor, "comment.created", app_id=caller.app.id, entity_id=comment.id, after=view
        )
        return view

    def list(
        self, caller: Caller, changeset_id: str, file_path: str | None, page: int, limit: int
    ) -> tuple[list[CommentView], int]:
        """Comments by created_at ascending, optionally on one file."""
        cs = load_changeset(self._d, caller.app, changeset_id)
        where: dict[str, Any] = {"changeset_id": cs.id}
        if file_path is not None:
            where["file_path"] = file_path
        found = self._d.repos.comments.list(where, (("created_at", 1),), page, limit)
        return [comment_view(c) for c in found.items], found.total

    def update(
        self,
        caller: Caller,
        changeset_id: str,
        comment_id: str,
        *,
        body: str | None = None,
        resolved: bool | None = None,
    ) -> CommentView:
        """Edit the body (its author only; the old body is kept) and/or ``resolved``."""
        if body is None and resolved is None:
            raise _bad("body", "must contain body or resolved")
        if body is not None:
            _check_body(body)
        d = self._d
        cs = load_changeset(d, caller.app, changeset_id)
        comment = d.repos.comments.find_one({"id": comment_id, "changeset_id": cs.id})
        if comment is None:
            raise NotFound("comment", comment_id)
        if body is not None and body != comment.body:
            check(Capability.EDIT_COMMENT, caller.role, comment.author_user_id == caller.user_id)
        if resolved is not None:
            check(Capability.RESOLVE_COMMENT, caller.role)
        for _ in range(CAS_RETRIES):
            saved, before, after = self._apply(comment, body, resolved)
            if saved is not None:
                break
            comment = d.repos.comments.get(comment.id)
        else:
            raise Conflict("the comment kept changing concurrently; try again")
        if after:
            d.audit.record(
                caller.actor,
                "comment.edited",
                app_id=caller.app.id,
                entity_id=comment.id,
                before=before,
                after=after,
            )
        return comment_view(saved)

    def _apply(
        self, comment: Comment, body: str | None, resolved: bool | None
    ) -> tuple[Comment | None, dict[str, Any], dict[str, Any]]:
        """One compare-and-set attempt; ``None`` when another writer came first."""
        d = self._d
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        previous_body = comment.body
        if body is not None and body != comment.body:
            before["body"], after["body"] = comment.body, body
            comment.body = body
            comment.edited = True
        if resolved is not None and resolved != comment.resolved:
            before["resolved"], after["resolved"] = comment.resolved, resolved
            comment.resolved = resolved
        if not after:
            return comment, before, after
        try:
            saved = d.repos.comments.save(comment)
        except Conflict:
            return None, before, after  # a lost race: the caller re-reads and retries
        if "body" in after:
            d.repos.comment_revisions.insert(
                CommentRevision(
                    id=d.ids.new_id(),
                    created_at=d.clock.now(),
                    comment_id=comment.id,
                    body=previous_body,
                    edited_at=d.clock.now(),
                )
            )
        return saved, before, after
