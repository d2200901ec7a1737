"""Deployments and used approval tokens (DOMAIN.md §14; API.md §2, §12)."""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec

from conman_domain.model.apps import Role
from conman_domain.model.base import Entity, MutableEntity, Value

__all__ = [
    "ACTIVE_DEPLOYMENT_STATES",
    "Deployment",
    "DeploymentApproval",
    "DeploymentKind",
    "DeploymentState",
    "FailedStep",
    "RollbackMode",
    "UsedApprovalToken",
]


class DeploymentKind(enum.StrEnum):
    DEPLOY = "deploy"
    PROMOTE = "promote"
    ROLLBACK = "rollback"


class DeploymentState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


ACTIVE_DEPLOYMENT_STATES: frozenset[DeploymentState] = frozenset(
    {DeploymentState.PENDING, DeploymentState.RUNNING}
)


class RollbackMode(enum.StrEnum):
    REVERT_AND_RELEASE = "revert_and_release"
    REDEPLOY_PRIOR_TAG = "redeploy_prior_tag"


class FailedStep(enum.StrEnum):
    """The ``failed_step`` names of deploy_release (DOMAIN.md §14.4)."""

    DRIFT = "drift"
    VALIDATION = "validation"
    MIGRATIONS = "migrations"
    ENV_REF = "env_ref"
    DEPLOY_COMMAND = "deploy_command"
    RECORD = "record"


class DeploymentApproval(Value, frozen=True, kw_only=True):
    user_id: str
    role: Role
    approved_at: datetime


class Deployment(MutableEntity, kw_only=True):
    """A deployment of a release to an environment. ``active`` mirrors pending/running and
    backs the one-active-per-environment unique index."""

    app_id: str
    environment_id: str
    release_id: str
    kind: DeploymentKind
    state: DeploymentState = DeploymentState.PENDING
    skip_stage: bool = False
    concurrent: bool = False
    approvals: list[DeploymentApproval] = msgspec.field(default_factory=list)
    approval_user_ids: list[str] = msgspec.field(default_factory=list)
    job_id: str | None = None
    logs_ref: str | None = None
    rollback_mode: RollbackMode | None = None
    rollback_source_release_id: str | None = None
    rollback_target_release_id: str | None = None
    profile_revision_id: str | None = None
    migration_execution_id: str | None = None
    failed_step: str | None = None
    error_message: str | None = None
    created_by: str
    started_at: datetime | None = None
    completed_at: datetime | None = None
    active: bool = True


class UsedApprovalToken(Entity, kw_only=True):
    """A consumed deploy-approval token ``jti`` (single use)."""

    jti: str
    deployment_id: str
    user_id: str
    used_at: datetime
