"""The ``deploy_release`` job (DOMAIN.md §14.4, §14.7).

Steps, with their ``failed_step`` names: start (pending → running), [drift] re-check,
resolve the target profile with R's overrides, [validation] the deploy gate on
``R.published_sha``, [migrations] pending migrations, [env_ref] CAS of
``refs/heads/env/<slug>``, [deploy_command] the deploy command (a failure restores the
env ref), [record] the outcome (``deploy_record``). Any failure fails the deployment
with its step and message; the job fails final. A cancel is honoured at every step
boundary before record (a moved env ref is restored) and ignored from record on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from conman_domain.errors import ConmanError, NotFound, Validation
from conman_domain.gitmodel import ZERO_OID
from conman_domain.model import (
    App,
    Deployment,
    DeploymentState,
    Environment,
    NotificationEvent,
    Release,
)
from conman_domain.model.deployments import FailedStep
from conman_domain.ports.jobs import RunningJobPort
from conman_domain.rules.resolution import ResolvedProfile, resolve_profile
from conman_domain.states.deployment import set_deployment_state
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.deploy_gate import deploy_metadata, run_deploy_gate
from conman_domain.usecases.deploy_record import RecordDeployment, release_overrides
from conman_domain.usecases.deployment_shapes import (
    DeploymentDeps,
    notify_deployment,
    save_deployment,
)
from conman_domain.usecases.drift import DriftService
from conman_domain.usecases.migrations import applied_migrations, run_migrations
from conman_domain.usecases.release_outcomes import job_actor
from conman_domain.usecases.release_shapes import job_payload
from conman_domain.usecases.validate import (
    command_env,
)

__all__ = ["DeployPayload", "DeployRelease", "StepFailed"]

T = TypeVar("T")


class DeployPayload(msgspec.Struct, frozen=True, kw_only=True):
    deployment_id: str
    release_id: str
    environment_id: str
    published_sha: str | None = None


class StepFailed(Exception):
    """Internal: a step failed (the deployment is already failed)."""


class _Canceled(Exception):
    """Internal: the cancel was honoured (the deployment is already canceled)."""


class _Run:
    """What one run knows: the loaded entities, the actor and the env ref's old value."""

    def __init__(self, ctx: RunningJobPort, app: App, env: Environment, release: Release) -> None:
        self.ctx = ctx
        self.app = app
        self.env = env
        self.release = release
        self.actor: Actor = job_actor(ctx.job)
        self.sha = release.published_sha or ""
        self.old_ref: str | None = None
        self.ref_moved = False


class DeployRelease:
    """The ``deploy_release`` job handler."""

    def __init__(self, deps: DeploymentDeps, drift: DriftService | None = None) -> None:
        self._d = deps
        self._drift = drift or DriftService(deps)
        self._record = RecordDeployment(deps, self._drift)

    def __call__(self, ctx: RunningJobPort) -> dict[str, Any]:
        d = self._d
        payload = job_payload(ctx.job, DeployPayload)
        deployment = d.repos.deployments.get(payload.deployment_id)
        if deployment.state is not DeploymentState.PENDING:
            ctx.log("info", f"deployment is {deployment.state.value}; nothing to do")
            return {"skipped": True, "state": deployment.state.value}
        app = d.repos.apps.get(deployment.app_id)
        env = d.repos.environments.get(deployment.environment_id)
        release = d.repos.releases.get(deployment.release_id)
        run = _Run(ctx, app, env, release)
        deployment = self._start(run, deployment)
        try:
            return self._steps(run, deployment)
        except _Canceled:
            return {"canceled": True, "deployment_id": deployment.id}
        except StepFailed as exc:
            cause = exc.__cause__
            if isinstance(cause, ConmanError):
                raise cause from None
            raise Validation(str(exc)) from None

    # -- the steps -----------------------------------------------------------------

    def _steps(self, run: _Run, deployment: Deployment) -> dict[str, Any]:
        d = self._d
        self._step(run, deployment, FailedStep.DRIFT, self._check_drift)
        resolved = self._step(run, deployment, FailedStep.VALIDATION, self._resolve)
        gate = self._step(run, deployment, FailedStep.VALIDATION, lambda r: self._gate(r, resolved))
        execution_id = self._step(
            run, deployment, FailedStep.MIGRATIONS, lambda r: self._migrate(r, deployment, resolved)
        )
        self._step(run, deployment, FailedStep.ENV_REF, self._move_ref)
        self._step(run, deployment, FailedStep.DEPLOY_COMMAND, lambda r: self._deploy(r, resolved))
        try:
            saved = self._record(run.ctx, run.app, run.env, run.release, deployment.id)
        except ConmanError as exc:
            self._fail(
                d.repos.deployments.get(deployment.id), run.ctx, FailedStep.RECORD, exc.message, run
            )
            raise
        return {
            "deployment_id": saved.id,
            "state": saved.state.value,
            "published_sha": run.sha,
            "migration_execution_id": execution_id,
            "gate": gate,
        }

    def _step(
        self, run: _Run, deployment: Deployment, step: FailedStep, action: Callable[[_Run], T]
    ) -> T:
        if run.ctx.should_stop():
            self._stopped(run, deployment, step)
        try:
            return action(run)
        except ConmanError as exc:
            current = self._d.repos.deployments.get(deployment.id)
            self._fail(current, run.ctx, step, exc.message, run)
            raise StepFailed(exc.message) from exc

    def _check_drift(self, run: _Run) -> None:
        self._drift.ensure_not_blocking(run.app, run.env, run.release)

    def _resolve(self, run: _Run) -> ResolvedProfile:
        d, app = self._d, run.app
        profile = d.repos.runtime_profiles.find_one({"id": run.env.runtime_profile_id})
        if profile is None:
            raise NotFound("runtime profile", run.env.runtime_profile_id)
        defaults = None
        if app.defaults_profile_id is not None:
            found = d.repos.runtime_profiles.find_one({"id": app.defaults_profile_id})
            defaults = None if found is None else (found.id, found.snapshot())
        overrides = release_overrides(d, run.release, run.env.id)
        return resolve_profile(defaults, (profile.id, profile.snapshot()), overrides)

    def _gate(self, run: _Run, resolved: ResolvedProfile) -> dict[str, Any]:
        return run_deploy_gate(
            self._d, run.ctx, run.app, run.env, run.sha, resolved, self._entity(run)
        )

    @staticmethod
    def _entity(run: _Run) -> str:
        return run.ctx.job.entity_id or ""

    def _migrate(self, run: _Run, deployment: Deployment, resolved: ResolvedProfile) -> str | None:
        d = self._d
        desired = self._drift.state(run.app, run.env, run.release.id).report.desired
        applied = applied_migrations(d, run.env.id)
        pending = [i for i in desired.migration_ids if i not in applied]
        if not pending:
            return None
        execution = run_migrations(
            d, run.ctx, run.app, run.env, deployment, run.sha, resolved, pending,
            desired.profile_revision_id,
        )  # fmt: skip
        return execution.id

    def _move_ref(self, run: _Run) -> None:
        d = self._d
        repo = repo_ref(run.app)
        run.old_ref = d.git.resolve(repo, run.env.branch_ref)
        if run.old_ref == run.sha:
            return
        d.git.update_ref(
            repo, run.env.branch_ref, new_sha=run.sha, expected_old=run.old_ref or ZERO_OID
        )
        run.ref_moved = True

    def _deploy(self, run: _Run, resolved: ResolvedProfile) -> None:
        d, app = self._d, run.app
        command = app.settings.deploy_command
        if command.command is None:
            return
        repo = repo_ref(app)
        run.ctx.log("info", f"deploy command for environment {run.env.name} on {run.sha}")
        outcome = run.ctx.run_command(
            command.command,
            materialize=lambda dest: d.git.materialize(repo, run.sha, dest),
            env=command_env(
                resolved,
                d.cipher,
                app_id=app.id,
                metadata=deploy_metadata(app, run.sha, self._entity(run), gate=False),
            ),
            timeout_seconds=float(command.timeout_seconds),
        )
        if outcome.canceled and self._cancel_requested(run):
            self._cancel(run, d.repos.deployments.get(self._entity(run)))
        if not outcome.passed:
            reason = "timeout" if outcome.timed_out else f"exited with code {outcome.exit_code}"
            raise Validation(f"deploy command {reason}")

    # -- transitions -----------------------------------------------------------------

    def _start(self, run: _Run, deployment: Deployment) -> Deployment:
        d = self._d

        def start(dep: Deployment) -> None:
            set_deployment_state(dep, DeploymentState.RUNNING)
            dep.started_at = d.clock.now()

        saved = save_deployment(d, deployment.id, start)
        d.audit.record(
            run.actor, "deployment.started", app_id=run.app.id, entity_id=saved.id,
            before={"state": DeploymentState.PENDING}, after={"state": saved.state},
            git_sha=run.sha,
        )  # fmt: skip
        notify_deployment(
            d, NotificationEvent.DEPLOYMENT_STARTED, run.app, saved, run.actor.user_id, _title(run)
        )
        return saved

    def _restore_ref(self, run: _Run) -> None:
        """Put the env ref back (or delete it when this run created it)."""
        if not run.ref_moved:
            return
        repo = repo_ref(run.app)
        if run.old_ref is None:
            self._d.git.delete_ref(repo, run.env.branch_ref, expected_old=run.sha)
        else:
            self._d.git.update_ref(
                repo, run.env.branch_ref, new_sha=run.old_ref, expected_old=run.sha
            )
        run.ref_moved = False
        run.ctx.log("info", f"restored {run.env.branch_ref}")

    def _cancel_requested(self, run: _Run) -> bool:
        return self._d.jobs.get(run.ctx.job.id).cancel_requested

    def _stopped(self, run: _Run, deployment: Deployment, step: FailedStep) -> None:
        """The job must stop before ``step``: a requested cancel ends the deployment
        canceled; a timeout or a lost lease fails it at that step."""
        if self._cancel_requested(run):
            self._cancel(run, deployment)
        self._fail(deployment, run.ctx, step, "the job was stopped (timeout or lost lease)", run)
        raise StepFailed("the job was stopped")

    def _cancel(self, run: _Run, deployment: Deployment) -> None:
        d = self._d
        self._restore_ref(run)

        def cancel(dep: Deployment) -> None:
            set_deployment_state(dep, DeploymentState.CANCELED)
            dep.completed_at = d.clock.now()

        saved = save_deployment(d, deployment.id, cancel)
        d.audit.record(
            run.actor, "deployment.canceled", app_id=run.app.id, entity_id=saved.id,
            before={"state": DeploymentState.RUNNING}, after={"state": saved.state},
        )  # fmt: skip
        raise _Canceled

    def _fail(
        self,
        deployment: Deployment,
        ctx: RunningJobPort,
        step: FailedStep,
        message: str,
        run: _Run | None,
    ) -> None:
        d = self._d
        if run is not None and step is not FailedStep.RECORD:
            self._restore_ref(run)
        if d.repos.deployments.get(deployment.id).state is not DeploymentState.RUNNING:
            return  # already recorded (or canceled): nothing to fail

        def fail(dep: Deployment) -> None:
            set_deployment_state(dep, DeploymentState.FAILED)
            dep.failed_step = step.value
            dep.error_message = message
            dep.completed_at = d.clock.now()

        saved = save_deployment(d, deployment.id, fail)
        app = d.repos.apps.get(saved.app_id)
        actor = job_actor(ctx.job)
        d.audit.record(
            actor, "deployment.failed", app_id=app.id, entity_id=saved.id,
            before={"state": deployment.state},
            after={"state": saved.state, "failed_step": step.value, "error_message": message},
        )  # fmt: skip
        title = saved.id if run is None else _title(run)
        notify_deployment(d, NotificationEvent.DEPLOYMENT_FAILED, app, saved, actor.user_id, title)


def _title(run: _Run) -> str:
    return f"{run.release.tag or run.release.id} to {run.env.name}"
