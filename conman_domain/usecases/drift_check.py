"""The ``runtime_profile_drift_check`` job and the ``deployment_blocked_by_drift``
notification (DOMAIN.md §15.9, §17.1, §18.1).

A check runs the deploy gate for the environment on its current release commit (else
the integration head) with the desired state D resolved (app_defaults → the profile,
no release overrides). Pass → an acknowledgement of (E, current profile revision,
current defaults revision) and audit ``environment.drift_acknowledged``; fail → the job
fails with the gate result (``GateFailed``). The handler only reads besides that
idempotent insert, so running it again after a crash is harmless.
"""

from __future__ import annotations

from typing import Any

import msgspec

from conman_domain.errors import Conflict, FieldError, GateFailed, NotFound, Validation
from conman_domain.model import App, Environment, NotificationEvent
from conman_domain.ports.jobs import RunningJobPort
from conman_domain.ports.runner import CommandMetadata
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.drift import DriftDeps, DriftService
from conman_domain.usecases.drift_report import DriftReportView
from conman_domain.usecases.gates import failure_summary
from conman_domain.usecases.notify import Subject, notify_members
from conman_domain.usecases.validate import (
    command_env,
    command_validation_result,
    read_structured_files,
)
from conman_domain.validator import ValidationResult, run_builtin_validator

__all__ = ["DriftCheckJob", "DriftCheckPayload", "notify_blocked"]


class DriftCheckPayload(msgspec.Struct, frozen=True, kw_only=True):
    """``{environment_id, runtime_profile_id?, profile_revision_id?}``: the revision is
    informational; the check always uses the current revisions."""

    environment_id: str
    runtime_profile_id: str | None = None
    profile_revision_id: str | None = None


class DriftCheckJob:
    """The ``runtime_profile_drift_check`` handler (``JobHandler``)."""

    def __init__(self, deps: DriftDeps, service: DriftService | None = None) -> None:
        self._d = deps
        self._service = service if service is not None else DriftService(deps)

    def __call__(self, ctx: RunningJobPort) -> dict[str, Any]:
        """Run the check. A bad payload → ``Validation``; an unknown app or environment
        → ``NotFound``; a failed gate → ``GateFailed`` with the gate result (all final).
        Git and store outages propagate (retried)."""
        job = ctx.job
        try:
            payload = msgspec.convert(job.payload, DriftCheckPayload)
        except msgspec.ValidationError as exc:
            problem = [FieldError("payload", str(exc))]
            raise Validation(f"runtime_profile_drift_check payload: {exc}", problem) from exc
        d = self._d
        app = d.repos.apps.find_one({"id": job.app_id or ""})
        if app is None:
            raise NotFound("app", job.app_id or "")
        env = d.repos.environments.find_one({"id": payload.environment_id, "app_id": app.id})
        if env is None:
            raise NotFound("environment", payload.environment_id)
        state = self._service.state(app, env, None)
        report = state.report
        profile_rev = report.desired.profile_revision_id
        if profile_rev is None:
            raise Conflict(f"runtime profile {state.profile.id} has no revision")
        sha = self._commit(app, env)
        gate = app.settings.validation_gates.deploy
        ctx.log(
            "info",
            f"drift check of environment {env.name}: deploy gate on {sha}",
            {"runner": "builtin" if gate.command is None else "command", "drifted": report.drifted},
        )
        repo = repo_ref(app)
        if gate.command is None:
            result = run_builtin_validator(
                read_structured_files(d.git, repo, sha), d.clock.monotonic
            )
        else:
            metadata = CommandMetadata(
                app_id=app.id,
                entity_type="environment",
                entity_id=env.id,
                commit_sha=sha,
                gate="deploy",
            )
            run = ctx.run_command(
                gate.command,
                materialize=lambda dest: d.git.materialize(repo, sha, dest),
                env=command_env(state.desired, d.cipher, app_id=app.id, metadata=metadata),
                timeout_seconds=float(gate.timeout_seconds),
            )
            result = command_validation_result(run)
        return self._conclude(ctx, app, env, result, report, sha)

    def _commit(self, app: App, env: Environment) -> str:
        """E's current release commit, else the integration head."""
        if env.current_release_id is not None:
            release = self._d.repos.releases.find_one(
                {"id": env.current_release_id, "app_id": app.id}
            )
            sha = None if release is None else (release.published_sha or release.composed_sha)
            if sha is not None:
                return sha
        branch = f"refs/heads/{app.integration_branch}"
        head = self._d.git.resolve(repo_ref(app), branch)
        if head is None:
            raise NotFound("branch", app.integration_branch)
        return head

    def _conclude(  # noqa: PLR0917
        self,
        ctx: RunningJobPort,
        app: App,
        env: Environment,
        result: ValidationResult,
        report: DriftReportView,
        sha: str,
    ) -> dict[str, Any]:
        data: dict[str, Any] = msgspec.to_builtins(result)
        if not result.passed:
            for failure in result.failures:
                ctx.log("error", f"{failure.path or 'command'}: {failure.message}")
            raise GateFailed(failure_summary("deploy", result), data)
        profile_rev = report.desired.profile_revision_id or ""
        defaults_rev = report.desired.defaults_revision_id
        stored = self._service.acknowledge(env, profile_rev, defaults_rev, job_id=ctx.job.id)
        ids = {
            "environment_id": env.id,
            "profile_revision_id": profile_rev,
            "defaults_revision_id": defaults_rev,
        }
        if stored:
            self._d.audit.record(
                Actor(user_id=None),
                "environment.drift_acknowledged",
                app_id=app.id,
                entity_id=env.id,
                after={**ids, "job_id": ctx.job.id, "drifted": report.drifted},
            )
        ctx.log("info", f"deploy gate passed; drift acknowledged for environment {env.name}")
        return {
            **data,
            **ids,
            "commit_sha": sha,
            "drifted": report.drifted,
            "acknowledged": True,
        }


def notify_blocked(deps: DriftDeps, app: App, env: Environment, actor_user_id: str | None) -> int:
    """Queue ``deployment_blocked_by_drift`` for the config managers and app admins
    (never the actor); returns the number queued. Emission never fails the request:
    a store error is logged and 0 returned."""
    return notify_members(
        deps.repos,
        deps.ids,
        deps.clock,
        public_url=deps.public_url,
        event=NotificationEvent.DEPLOYMENT_BLOCKED_BY_DRIFT,
        app=app,
        subject=Subject(entity_id=env.id, title=env.name, path=f"environments/{env.id}/drift"),
        actor_user_id=actor_user_id,
    )
