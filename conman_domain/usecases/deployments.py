"""Deploy and promote requests, deployment listing and cancel (DOMAIN.md §14.1-§14.4,
§14.7; API.md §12).

A request checks the release (deployable), the stage and approval rules, the lock and the
drift gate, then inserts the deployment (the unique partial index on active deployments
is the lock), records the approval tokens as used and enqueues ``deploy_release``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conman_domain.errors import Conflict, DriftDetected, InvalidTransition, Validation
from conman_domain.model import (
    App,
    Deployment,
    DeploymentKind,
    DeploymentState,
    Environment,
    Job,
    JobType,
    Release,
)
from conman_domain.model.deployments import ACTIVE_DEPLOYMENT_STATES
from conman_domain.rbac import Capability, check
from conman_domain.states.deployment import (
    ACTIVE_MESSAGE,
    check_stage,
    ensure_no_active_deployment,
    is_concurrent,
    set_deployment_state,
)
from conman_domain.usecases.approvals import Approvals, CheckedApprovals
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.changeset_deps import Caller, check_object_id
from conman_domain.usecases.deployment_shapes import (
    DEPLOYABLE,
    DeploymentDeps,
    DeploymentFilter,
    DeploymentView,
    RollbackFields,
    deployment_view,
    load_deployment,
    load_environment,
    reached_positions,
    save_deployment,
)
from conman_domain.usecases.drift import DriftService
from conman_domain.usecases.drift_check import notify_blocked
from conman_domain.usecases.release_shapes import enqueue_job, load_release

__all__ = ["DeploymentService"]


class DeploymentService:
    """POST deploy/promote, GET deployments, POST deployments/:id/cancel."""

    def __init__(self, deps: DeploymentDeps, drift: DriftService | None = None) -> None:
        self._d = deps
        self.approvals = Approvals(deps)
        self.drift = drift or DriftService(deps)

    # -- requests ----------------------------------------------------------------------

    def request(  # noqa: PLR0917
        self,
        caller: Caller,
        environment_id: str,
        kind: DeploymentKind,
        release_id: str,
        skip_stage: bool,
        approval_tokens: Sequence[str],
    ) -> DeploymentView:
        """POST environments/:envId/deploy or /promote (CM+)."""
        check(Capability.DEPLOY, caller.role)
        d, app = self._d, caller.app
        check_object_id("release_id", release_id)
        env = load_environment(d, app, environment_id)
        release = load_release(d, app, release_id)
        if release.state not in DEPLOYABLE:
            raise Validation(f"release is not deployable (state {release.state.value})")
        count = d.repos.environments.count({"app_id": app.id})
        check_stage(kind, env.position, reached_positions(d, app, release.id), count, skip_stage)
        active = d.repos.deployments.all(
            {"app_id": app.id, "state": {"$in": [s.value for s in ACTIVE_DEPLOYMENT_STATES]}}
        )
        concurrent = is_concurrent(active, release.id, env.id)
        checked = self.approvals.check_tokens(
            caller,
            env,
            release,
            approval_tokens,
            skip_stage=skip_stage,
            required=skip_stage or concurrent,
        )
        action = "deployment.created" if kind is DeploymentKind.DEPLOY else "deployment.promoted"
        created = self.create(
            caller,
            env,
            release,
            kind,
            action=action,
            skip_stage=skip_stage,
            concurrent=concurrent,
            checked=checked,
        )
        return deployment_view(created)

    def guard(self, caller: Caller, env: Environment, release: Release) -> None:
        """The lock pre-check and the drift gate (§14.4 step 3): a blocking report →
        409 drift_detected, a notification and a drift check (unless one is pending)."""
        d = self._d
        ensure_no_active_deployment(
            d.repos.deployments.all({"environment_id": env.id, "active": True}), env.id
        )
        try:
            self.drift.ensure_not_blocking(caller.app, env, release)
        except DriftDetected:
            notify_blocked(d, caller.app, env, caller.user_id)
            self.drift.enqueue_check(caller.app, env, caller.user_id)
            raise

    def create(
        self,
        caller: Caller,
        env: Environment,
        release: Release,
        kind: DeploymentKind,
        *,
        action: str,
        skip_stage: bool = False,
        concurrent: bool = False,
        checked: CheckedApprovals | None = None,
        rollback: RollbackFields | None = None,
        skip_guard: bool = False,
    ) -> Deployment:
        """Guard (unless done), insert (the lock), record used tokens, enqueue
        ``deploy_release`` and audit ``action``."""
        d, app = self._d, caller.app
        if not skip_guard:
            self.guard(caller, env, release)
        now = d.clock.now()
        deployment_id, job_id = d.ids.new_id(), d.ids.new_id()
        approvals = [] if checked is None else checked.approvals
        deployment = Deployment(
            id=deployment_id,
            created_at=now,
            updated_at=now,
            app_id=app.id,
            environment_id=env.id,
            release_id=release.id,
            kind=kind,
            skip_stage=skip_stage,
            concurrent=concurrent,
            approvals=approvals,
            approval_user_ids=sorted({a.user_id for a in approvals}),
            job_id=job_id,
            logs_ref=f"jobs/{job_id}/logs",
            rollback_mode=None if rollback is None else rollback.mode,
            rollback_source_release_id=None if rollback is None else rollback.source_release_id,
            rollback_target_release_id=None if rollback is None else rollback.target_release_id,
            created_by=caller.user_id,
        )
        used = [] if checked is None else self.approvals.consume(checked, deployment_id)
        try:
            stored = d.repos.deployments.insert(deployment)
        except Conflict:
            self.approvals.release(used)
            raise Conflict(ACTIVE_MESSAGE) from None
        enqueue_job(
            d,
            app_id=app.id,
            job_type=JobType.DEPLOY_RELEASE,
            entity_type="deployment",
            entity_id=stored.id,
            payload={
                "deployment_id": stored.id,
                "release_id": release.id,
                "environment_id": env.id,
                "published_sha": release.published_sha,
            },
            created_by=caller.user_id,
            job_id=job_id,
        )
        after: dict[str, Any] = {
            "state": stored.state,
            "kind": kind,
            "environment_id": env.id,
            "release_id": release.id,
            "skip_stage": skip_stage,
            "concurrent": concurrent,
            "approval_user_ids": stored.approval_user_ids,
            "job_id": job_id,
        }
        if rollback is not None:
            after |= {
                "rollback_mode": rollback.mode,
                "rollback_source_release_id": rollback.source_release_id,
                "rollback_target_release_id": rollback.target_release_id,
            }
        d.audit.record(
            caller.actor,
            action,
            app_id=app.id,
            entity_id=stored.id,
            after=after,
            git_sha=release.published_sha,
        )
        return stored

    # -- reads -------------------------------------------------------------------------

    def list(
        self, caller: Caller, flt: DeploymentFilter, page: int, limit: int
    ) -> tuple[list[DeploymentView], int]:
        """Deployments by created_at descending (any member)."""
        check_object_id("environment_id", flt.environment_id)
        check_object_id("release_id", flt.release_id)
        where: dict[str, Any] = {"app_id": caller.app.id}
        if flt.environment_id is not None:
            where["environment_id"] = flt.environment_id
        if flt.release_id is not None:
            where["release_id"] = flt.release_id
        if flt.state is not None:
            where["state"] = flt.state.value
        found = self._d.repos.deployments.list(where, (("created_at", -1),), page, limit)
        return [deployment_view(x) for x in found.items], found.total

    def get(self, caller: Caller, deployment_id: str) -> DeploymentView:
        return deployment_view(load_deployment(self._d, caller.app, deployment_id))

    # -- cancel ------------------------------------------------------------------------

    def cancel(self, caller: Caller, deployment_id: str) -> DeploymentView:
        """pending → canceled at once with its job; running → the job's cancel is
        requested (the worker ends the deployment canceled); else 409 (§14.7)."""
        check(Capability.CANCEL_DEPLOYMENT, caller.role)
        d = self._d
        deployment = load_deployment(d, caller.app, deployment_id)
        if deployment.state is DeploymentState.RUNNING:
            if deployment.job_id is not None:
                d.jobs.cancel(deployment.job_id, d.clock.now())
            return deployment_view(d.repos.deployments.get(deployment.id))
        if deployment.state is not DeploymentState.PENDING:
            raise InvalidTransition(deployment.state.value, DeploymentState.CANCELED.value)
        canceled = self.cancel_pending(caller.app, deployment.id, caller.actor)
        if deployment.job_id is not None:
            job = d.jobs.get(deployment.job_id)
            if job.state.value in {"queued", "running"}:
                d.jobs.cancel(job.id, d.clock.now())
        return deployment_view(canceled)

    def cancel_pending(self, app: App, deployment_id: str, actor: Actor) -> Deployment:
        """A pending deployment → canceled (audit ``deployment.canceled``); any other
        state → 409 invalid_transition."""
        d = self._d
        before: dict[str, Any] = {}

        def cancel(dep: Deployment) -> None:
            if dep.state is not DeploymentState.PENDING:
                raise InvalidTransition(dep.state.value, DeploymentState.CANCELED.value)
            before["state"] = dep.state
            set_deployment_state(dep, DeploymentState.CANCELED)
            dep.completed_at = d.clock.now()

        saved = save_deployment(d, deployment_id, cancel)
        d.audit.record(
            actor,
            "deployment.canceled",
            app_id=app.id,
            entity_id=saved.id,
            before=before,
            after={"state": saved.state},
        )
        return saved

    def cancel_effect(self, job: Job) -> None:
        """§17.5: a queued deploy_release job canceled through the jobs API cancels its
        pending deployment."""
        d = self._d
        deployment = d.repos.deployments.find_one({"id": job.entity_id or "", "job_id": job.id})
        if deployment is None or deployment.state is not DeploymentState.PENDING:
            return
        app = d.repos.apps.get(deployment.app_id)
        try:
            self.cancel_pending(app, deployment.id, Actor(user_id=None))
        except InvalidTransition:
            return
