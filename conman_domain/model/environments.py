"""Environments, drift acknowledgements and migration executions (DOMAIN.md §5, §15.8, §15.9)."""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec

from conman_domain.model.base import Entity, MutableEntity, Value

__all__ = [
    "AppliedMigration",
    "AppliedState",
    "DriftAcknowledgement",
    "Environment",
    "MigrationExecution",
    "MigrationStatus",
]


class AppliedState(Value, frozen=True, kw_only=True):
    """What the last succeeded deployment applied to an environment (DOMAIN.md §15.9)."""

    deployment_id: str
    release_id: str
    profile_revision_id: str | None = None
    defaults_revision_id: str | None = None
    migration_ids: list[str] = msgspec.field(default_factory=list)
    deployed_at: datetime


class Environment(MutableEntity, kw_only=True):
    """A deployment stage of an app. ``name_lower`` backs the case-insensitive unique index."""

    app_id: str
    name: str
    name_lower: str
    slug: str
    position: int
    is_canonical: bool = False
    runtime_profile_id: str
    branch_ref: str
    current_release_id: str | None = None
    current_deployment_id: str | None = None
    last_deployed_at: datetime | None = None
    applied_state: AppliedState | None = None


class DriftAcknowledgement(Entity, kw_only=True):
    """Drift of (environment, profile revision, defaults revision) was accepted."""

    app_id: str
    environment_id: str
    profile_revision_id: str
    defaults_revision_id: str
    job_id: str | None = None
    deployment_id: str | None = None
    acknowledged_at: datetime


class MigrationStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class AppliedMigration(Value, frozen=True, kw_only=True):
    id: str
    status: MigrationStatus
    started_at: datetime | None = None
    finished_at: datetime | None = None


class MigrationExecution(MutableEntity, kw_only=True):
    """One deploy's run of pending migrations, with a status per migration id."""

    app_id: str
    environment_id: str
    release_id: str
    deployment_id: str
    runtime_profile_revision_id: str | None = None
    status: MigrationStatus = MigrationStatus.RUNNING
    applied_migrations: list[AppliedMigration] = msgspec.field(default_factory=list)
    logs_ref: str | None = None
    triggered_by: str
    started_at: datetime
    finished_at: datetime | None = None
