"""Releases (``release_batches``) and their members (DOMAIN.md §13; API.md §2)."""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec

from conman_domain.model.base import MutableEntity

__all__ = [
    "DEPLOYABLE_RELEASE_STATES",
    "Release",
    "ReleaseChangeset",
    "ReleaseSource",
    "ReleaseState",
]


class ReleaseState(enum.StrEnum):
    DRAFT_RELEASE = "draft_release"
    ASSEMBLING = "assembling"
    VALIDATED = "validated"
    PUBLISHED = "published"
    DEPLOYED_PARTIAL = "deployed_partial"
    DEPLOYED_FULL = "deployed_full"
    ROLLED_BACK = "rolled_back"


DEPLOYABLE_RELEASE_STATES: frozenset[ReleaseState] = frozenset(
    {ReleaseState.PUBLISHED, ReleaseState.DEPLOYED_PARTIAL, ReleaseState.DEPLOYED_FULL}
)


class ReleaseSource(enum.StrEnum):
    CHANGESETS = "changesets"
    REVERT = "revert"


class Release(MutableEntity, kw_only=True):
    """A release batch. ``changesets`` and ``deployed_environment_ids`` of the API shape are
    derived (from ``release_changesets`` and deployments), not stored."""

    app_id: str
    tag: str | None = None
    state: ReleaseState = ReleaseState.DRAFT_RELEASE
    source: ReleaseSource = ReleaseSource.CHANGESETS
    ordered_changeset_ids: list[str] = msgspec.field(default_factory=list)
    compose_job_id: str | None = None
    validation_job_id: str | None = None
    base_sha: str | None = None
    composed_sha: str | None = None
    published_sha: str | None = None
    published_at: datetime | None = None
    published_by: str | None = None
    reverts_release_id: str | None = None
    created_by: str


class ReleaseChangeset(MutableEntity, kw_only=True):
    """Membership of a changeset in a release at a 0-based position."""

    release_id: str
    changeset_id: str
    position: int
    merge_sha: str | None = None
