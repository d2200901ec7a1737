"""Changesets, revisions, reviews and comments (DOMAIN.md §9, §12; API.md §2)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec

from conman_domain.model.base import Entity, MutableEntity
from conman_domain.model.overrides import OverrideSnapshot

__all__ = [
    "OPEN_CHANGESET_STATES",
    "Changeset",
    "ChangesetRevision",
    "ChangesetState",
    "Comment",
    "CommentRevision",
    "RevalidationStatus",
    "Review",
    "ReviewDecision",
]


class ChangesetState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    QUEUED = "queued"
    CONFLICTED = "conflicted"
    NEEDS_REVALIDATION = "needs_revalidation"
    RELEASED = "released"
    REJECTED = "rejected"


OPEN_CHANGESET_STATES: frozenset[ChangesetState] = frozenset(ChangesetState) - {
    ChangesetState.RELEASED,
    ChangesetState.REJECTED,
}


class RevalidationStatus(enum.StrEnum):
    VALID = "valid"
    CONFLICTED = "conflicted"
    OVERRIDE_CONFLICT = "override_conflict"
    TEST_FAILED = "test_failed"


class Changeset(MutableEntity, kw_only=True):
    """A proposal to merge a workspace into integration. ``is_open`` mirrors the state."""

    app_id: str
    workspace_id: str
    author_user_id: str
    created_by: str
    title: str
    description: str = ""
    state: ChangesetState = ChangesetState.DRAFT
    base_sha: str | None = None
    head_sha: str | None = None
    current_revision: int = 0
    approval_count: int = 0
    required_approval_count: int = 1
    last_submit_job_id: str | None = None
    last_revalidation_status: RevalidationStatus | None = None
    last_revalidation_details: dict[str, Any] | None = None
    last_revalidation_job_id: str | None = None
    queue_position: int | None = None
    queued_at: datetime | None = None
    release_id: str | None = None
    is_open: bool = True


class ChangesetRevision(Entity, kw_only=True):
    """A frozen submission: heads plus the overrides snapshot."""

    changeset_id: str
    revision_number: int
    head_sha: str
    base_sha: str
    profile_overrides_snapshot: list[OverrideSnapshot] = msgspec.field(default_factory=list)
    created_by: str


class ReviewDecision(enum.StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"


class Review(Entity, kw_only=True):
    changeset_id: str
    reviewer_user_id: str
    revision_number: int
    decision: ReviewDecision
    comment: str | None = None


class Comment(MutableEntity, kw_only=True):
    changeset_id: str
    author_user_id: str
    body: str
    file_path: str | None = None
    line_number: int | None = None
    parent_comment_id: str | None = None
    resolved: bool = False
    edited: bool = False


class CommentRevision(Entity, kw_only=True):
    """The previous body of an edited comment."""

    comment_id: str
    body: str
    edited_at: datetime
