"""API shapes of changesets, revisions, reviews, comments and override summaries
(API.md §2). Secret values never appear in any of them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

from conman_domain.model import (
    Changeset,
    ChangesetRevision,
    ChangesetState,
    Comment,
    OverrideSnapshot,
    RevalidationStatus,
    Review,
    ReviewDecision,
)
from conman_domain.model.overrides import OverrideOperation
from conman_domain.model.profiles import ValueType

__all__ = [
    "ChangesetView",
    "CommentView",
    "EnvVarSummary",
    "OverrideSummary",
    "ReviewView",
    "RevisionView",
    "SecretSummary",
    "changeset_view",
    "comment_view",
    "override_summary",
    "review_view",
    "revision_view",
    "summaries",
]


class ChangesetView(msgspec.Struct, kw_only=True):
    """API shape Changeset."""

    id: str
    app_id: str
    workspace_id: str
    author_user_id: str
    created_by: str
    title: str
    description: str
    state: ChangesetState
    base_sha: str | None
    head_sha: str | None
    current_revision: int
    approval_count: int
    required_approval_count: int
    last_submit_job_id: str | None
    last_revalidation_status: RevalidationStatus | None
    last_revalidation_details: dict[str, Any] | None
    last_revalidation_job_id: str | None
    queue_position: int | None
    queued_at: datetime | None
    release_id: str | None
    created_at: datetime
    updated_at: datetime


def changeset_view(cs: Changeset) -> ChangesetView:
    return ChangesetView(
        id=cs.id,
        app_id=cs.app_id,
        workspace_id=cs.workspace_id,
        author_user_id=cs.author_user_id,
        created_by=cs.created_by,
        title=cs.title,
        description=cs.description,
        state=cs.state,
        base_sha=cs.base_sha,
        head_sha=cs.head_sha,
        current_revision=cs.current_revision,
        approval_count=cs.approval_count,
        required_approval_count=cs.required_approval_count,
        last_submit_job_id=cs.last_submit_job_id,
        last_revalidation_status=cs.last_revalidation_status,
        last_revalidation_details=cs.last_revalidation_details,
        last_revalidation_job_id=cs.last_revalidation_job_id,
        queue_position=cs.queue_position,
        queued_at=cs.queued_at,
        release_id=cs.release_id,
        created_at=cs.created_at,
        updated_at=cs.updated_at,
    )


class EnvVarSummary(msgspec.Struct, kw_only=True):
    key: str
    type: ValueType | None
    operation: OverrideOperation


class SecretSummary(msgspec.Struct, kw_only=True):
    key: str
    operation: OverrideOperation


class OverrideSummary(msgspec.Struct, kw_only=True):
    """API shape OverrideSummary: keys, types and operations only (never values)."""

    target_environment_id: str
    target_profile_id: str
    env_vars: list[EnvVarSummary]
    secrets: list[SecretSummary]
    base_url_set: bool
    database_fields: list[str]
    data_strategy_fields: list[str]


def override_summary(snap: OverrideSnapshot) -> OverrideSummary:
    env_vars = [
        EnvVarSummary(
            key=key,
            type=None if tv is None else tv.type,
            operation=OverrideOperation.REMOVE if tv is None else OverrideOperation.SET,
        )
        for key, tv in sorted(snap.env_var_overrides_typed.items())
    ]
    secrets = [
        SecretSummary(key=key, operation=so.operation)
        for key, so in sorted(snap.secret_overrides_encrypted.items())
    ]
    return OverrideSummary(
        target_environment_id=snap.target_environment_id,
        target_profile_id=snap.target_profile_id,
        env_vars=env_vars,
        secrets=secrets,
        base_url_set=snap.base_url is not None,
        database_fields=snap.database_overrides.fields_set(),
        data_strategy_fields=snap.data_overrides.fields_set(),
    )


def summaries(snaps: Iterable[OverrideSnapshot]) -> list[OverrideSummary]:
    return [override_summary(s) for s in snaps]


class RevisionView(msgspec.Struct, kw_only=True):
    """API shape ChangesetRevision."""

    id: str
    changeset_id: str
    revision_number: int
    head_sha: str
    base_sha: str
    profile_overrides: list[OverrideSummary]
    created_by: str
    created_at: datetime


def revision_view(rev: ChangesetRevision) -> RevisionView:
    return RevisionView(
        id=rev.id,
        changeset_id=rev.changeset_id,
        revision_number=rev.revision_number,
        head_sha=rev.head_sha,
        base_sha=rev.base_sha,
        profile_overrides=summaries(rev.profile_overrides_snapshot),
        created_by=rev.created_by,
        created_at=rev.created_at,
    )


class ReviewView(msgspec.Struct, kw_only=True):
    """API shape Review."""

    id: str
    changeset_id: str
    reviewer_user_id: str
    revision_number: int
    decision: ReviewDecision
    comment: str | None
    created_at: datetime


def review_view(review: Review) -> ReviewView:
    return ReviewView(
        id=review.id,
        changeset_id=review.changeset_id,
        reviewer_user_id=review.reviewer_user_id,
        revision_number=review.revision_number,
        decision=review.decision,
        comment=review.comment,
        created_at=review.created_at,
    )


class CommentView(msgspec.Struct, kw_only=True):
    """API shape Comment."""

    id: str
    changeset_id: str
    author_user_id: str
    body: str
    file_path: str | None
    line_number: int | None
    parent_comment_id: str | None
    resolved: bool
    edited: bool
    created_at: datetime
    updated_at: datetime


def comment_view(comment: Comment) -> CommentView:
    return CommentView(
        id=comment.id,
        changeset_id=comment.changeset_id,
        author_user_id=comment.author_user_id,
        body=comment.body,
        file_path=comment.file_path,
        line_number=comment.line_number,
        parent_comment_id=comment.parent_comment_id,
        resolved=comment.resolved,
        edited=comment.edited,
        created_at=comment.created_at,
        updated_at=comment.updated_at,
    )
