"""What the deployment use cases share: their repositories and ports, the API view, the
drift-gate interface and the helpers that load, save and announce deployments
(DOMAIN.md §14; API.md §2, §12)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import msgspec

from conman_domain.errors import Conflict, NotFound
from conman_domain.model import (
    App,
    Deployment,
    DeploymentKind,
    DeploymentState,
    Environment,
    NotificationEvent,
    ReleaseState,
    UsedApprovalToken,
)
from conman_domain.model.deployments import DeploymentApproval, RollbackMode
from conman_domain.ports.repos import EntityRepoPort, MutableRepoPort
from conman_domain.ports.security import TokenPort
from conman_domain.usecases.changeset_deps import CAS_RETRIES
from conman_domain.usecases.drift import DriftDeps, DriftRepos
from conman_domain.usecases.notify import Subject, notify_members

__all__ = [
    "DEPLOYABLE",
    "DeploymentDeps",
    "DeploymentFilter",
    "DeploymentRepos",
    "DeploymentView",
    "RollbackFields",
    "deployment_view",
    "load_deployment",
    "load_environment",
    "notify_deployment",
    "reached_positions",
    "save_deployment",
]

DEPLOYABLE = frozenset(
    {ReleaseState.PUBLISHED, ReleaseState.DEPLOYED_PARTIAL, ReleaseState.DEPLOYED_FULL}
)
"""Release states a deploy or promote accepts (§14.1); rollback targets add rolled_back."""


class DeploymentRepos(DriftRepos, Protocol):
    """The drift repositories plus ``deployments`` and ``used_approval_tokens``
    (``Repositories`` fits)."""

    @property
    def deployments(self) -> MutableRepoPort[Deployment]: ...
    @property
    def used_approval_tokens(self) -> EntityRepoPort[UsedApprovalToken]: ...


class DeploymentDeps(DriftDeps):
    """``DriftDeps`` (so the drift service runs on it) with the deployment collections
    and the approval-token signer."""

    repos: DeploymentRepos

    def __init__(self, *, tokens: TokenPort, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tokens = tokens


class DeploymentView(msgspec.Struct, kw_only=True):
    """API shape Deployment (API.md §2)."""

    id: str
    app_id: str
    environment_id: str
    release_id: str
    kind: DeploymentKind
    state: DeploymentState
    skip_stage: bool
    concurrent: bool
    approvals: list[DeploymentApproval]
    approval_user_ids: list[str]
    job_id: str | None
    logs_ref: str | None
    rollback_mode: RollbackMode | None
    rollback_source_release_id: str | None
    rollback_target_release_id: str | None
    profile_revision_id: str | None
    migration_execution_id: str | None
    failed_step: str | None
    error_message: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None


def deployment_view(deployment: Deployment) -> DeploymentView:
    return DeploymentView(**{f: getattr(deployment, f) for f in DeploymentView.__struct_fields__})


def load_deployment(deps: DeploymentDeps, app: App, deployment_id: str) -> Deployment:
    """The deployment of this app, else 404."""
    found = deps.repos.deployments.find_one({"id": deployment_id, "app_id": app.id})
    if found is None:
        raise NotFound("deployment", deployment_id)
    return found


def load_environment(deps: DeploymentDeps, app: App, environment_id: str) -> Environment:
    """The environment of this app, else 404."""
    found = deps.repos.environments.find_one({"id": environment_id, "app_id": app.id})
    if found is None:
        raise NotFound("environment", environment_id)
    return found


def save_deployment(
    deps: DeploymentDeps, deployment_id: str, change: Callable[[Deployment], None]
) -> Deployment:
    """Re-read, apply ``change`` and compare-and-set, retrying a lost race a few times.
    ``change`` may raise to abandon the write."""
    for _ in range(CAS_RETRIES):
        current = deps.repos.deployments.get(deployment_id)
        change(current)
        try:
            return deps.repos.deployments.save(current)
        except Conflict:
            continue
    raise Conflict("the deployment kept changing concurrently; try again")


def notify_deployment(  # noqa: PLR0917
    deps: DeploymentDeps,
    event: NotificationEvent,
    app: App,
    deployment: Deployment,
    actor_user_id: str | None,
    title: str,
) -> int:
    """Queue ``event`` for its audience (D§18.1); an emission error is logged, never
    raised. Returns the number of mails queued."""
    return notify_members(
        deps.repos,
        deps.ids,
        deps.clock,
        public_url=deps.public_url,
        event=event,
        app=app,
        subject=Subject(entity_id=deployment.id, title=title, path=f"deployments/{deployment.id}"),
        actor_user_id=actor_user_id,
    )


class DeploymentFilter(msgspec.Struct, frozen=True, kw_only=True):
    """The list query of GET deployments."""

    environment_id: str | None = None
    release_id: str | None = None
    state: DeploymentState | None = None


class RollbackFields(msgspec.Struct, frozen=True):
    """The rollback fields of a rollback deployment (§14.6)."""

    mode: RollbackMode
    source_release_id: str
    target_release_id: str


def reached_positions(deps: DeploymentDeps, app: App, release_id: str) -> list[int]:
    """Positions of the current environments with a succeeded deployment of the release."""
    done = deps.repos.deployments.all(
        {"app_id": app.id, "release_id": release_id, "state": DeploymentState.SUCCEEDED.value}
    )
    env_ids = {d.environment_id for d in done}
    envs = deps.repos.environments.all({"app_id": app.id})
    return sorted(e.position for e in envs if e.id in env_ids)
