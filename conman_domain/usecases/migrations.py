"""Pending migrations of a deployment (DOMAIN.md §15.8): the applied set of an
environment, and running ``command_ref`` once per pending id in the release tree with
``CONMAN_MIGRATION_ID``, ``CONMAN_MIGRATION_PATH`` and ``CONMAN_MIGRATION_STATE_REF``,
stopping at the first failure and recording one ``migration_executions`` document."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from conman_domain.errors import Conflict, Validation
from conman_domain.model import App, Deployment, Environment, MigrationExecution
from conman_domain.model.environments import AppliedMigration, MigrationStatus
from conman_domain.ports.jobs import RunningJobPort
from conman_domain.ports.runner import CommandMetadata
from conman_domain.rules.resolution import ResolvedProfile
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.deployment_shapes import DeploymentDeps, save_deployment
from conman_domain.usecases.validate import command_env

__all__ = ["applied_migrations", "run_migrations"]

MIGRATION_TIMEOUT_SECONDS = 600.0
"""Timeout of one migration run (the deploy job keeps its own overall timeout)."""


def applied_migrations(deps: DeploymentDeps, environment_id: str) -> set[str]:
    """The ids that succeeded in the environment's migration executions."""
    applied: set[str] = set()
    for run in deps.repos.migration_executions.all({"environment_id": environment_id}):
        applied.update(
            m.id for m in run.applied_migrations if m.status is MigrationStatus.SUCCEEDED
        )
    return applied


def run_migrations(  # noqa: PLR0917
    deps: DeploymentDeps,
    ctx: RunningJobPort,
    app: App,
    env: Environment,
    deployment: Deployment,
    sha: str,
    resolved: ResolvedProfile,
    pending: Sequence[str],
    profile_revision_id: str | None,
) -> MigrationExecution:
    """Run ``pending`` in order and link the stored execution (which says which ran and
    how) to the deployment. A failure leaves the execution ``failed``, records the ids
    after it as ``skipped`` and raises ``Validation`` naming the failed id."""
    command = resolved.migrations.command_ref or ""
    state_ref = resolved.migrations.applied_state_ref or ""
    now = deps.clock.now()
    execution = deps.repos.migration_executions.insert(
        MigrationExecution(
            id=deps.ids.new_id(),
            created_at=now,
            updated_at=now,
            app_id=app.id,
            environment_id=env.id,
            release_id=deployment.release_id,
            deployment_id=deployment.id,
            runtime_profile_revision_id=profile_revision_id,
            applied_migrations=[
                AppliedMigration(id=i, status=MigrationStatus.PENDING) for i in pending
            ],
            logs_ref=deployment.logs_ref,
            triggered_by=deployment.created_by,
            started_at=now,
        )
    )
    results: list[AppliedMigration] = []
    failed = False
    repo = repo_ref(app)
    metadata = CommandMetadata(
        app_id=app.id, entity_type="deployment", entity_id=deployment.id, commit_sha=sha
    )
    for migration_id in pending:
        if failed or ctx.should_stop():
            results.append(AppliedMigration(id=migration_id, status=MigrationStatus.SKIPPED))
            failed = True
            continue
        started = deps.clock.now()
        ctx.log("info", f"migration {migration_id}")
        env_vars = command_env(
            resolved,
            deps.cipher,
            app_id=app.id,
            metadata=metadata,
            extra={
                "CONMAN_MIGRATION_ID": migration_id,
                "CONMAN_MIGRATION_PATH": migration_id,
                "CONMAN_MIGRATION_STATE_REF": state_ref,
            },
        )
        run = ctx.run_command(
            command,
            materialize=lambda dest: deps.git.materialize(repo, sha, dest),
            env=env_vars,
            timeout_seconds=MIGRATION_TIMEOUT_SECONDS,
        )
        status = MigrationStatus.SUCCEEDED if run.passed else MigrationStatus.FAILED
        failed = not run.passed
        results.append(
            AppliedMigration(
                id=migration_id, status=status, started_at=started, finished_at=deps.clock.now()
            )
        )
    final = MigrationStatus.FAILED if failed else MigrationStatus.SUCCEEDED
    done = _finish(deps, execution, results, final)

    def link(dep: Deployment) -> None:
        dep.migration_execution_id = done.id

    save_deployment(deps, deployment.id, link)
    if failed:
        names = [m.id for m in results if m.status is MigrationStatus.FAILED]
        raise Validation(f"migration failed: {', '.join(names) or 'stopped'}")
    return done


def _finish(
    deps: DeploymentDeps,
    execution: MigrationExecution,
    results: list[AppliedMigration],
    status: MigrationStatus,
) -> MigrationExecution:
    done = msgspec.structs.replace(
        execution,
        applied_migrations=results,
        status=status,
        finished_at=deps.clock.now(),
    )
    try:
        return deps.repos.migration_executions.save(done)
    except Conflict:
        current = deps.repos.migration_executions.get(execution.id)
        current.applied_migrations, current.status = results, status
        current.finished_at = deps.clock.now()
        return deps.repos.migration_executions.save(current)
