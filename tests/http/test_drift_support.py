"""Shortcuts for the drift tests: a published release with real commits on memory git, an
applied state written straight through the repositories (as a succeeded deployment
would record it), migration executions, profile edits and the drift-check job step."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from conman_domain.errors import ConmanError, GateFailed
from conman_domain.model import (
    AppliedMigration,
    AppliedState,
    Environment,
    GateConfig,
    Job,
    JobType,
    MigrationExecution,
    MigrationStatus,
    Release,
    ReleaseState,
)
from conman_domain.usecases.drift_check import DriftCheckJob
from tests.http.changeset_world import World, changeset_world
from tests.http.release_world import Run, Verdict

__all__ = [
    "applied",
    "drift",
    "drift_world",
    "edit",
    "env_at",
    "executed",
    "published",
    "run_check",
    "set_deploy_command",
]


@contextmanager
def drift_world(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def env_at(w: World, position: int = 0) -> Environment:
    env: Environment = w.environments()[position]
    return env


def edit(w: World, profile_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A direct edit by the app admin (PATCH runtime-profiles)."""
    response = w.call("PATCH", w.admin, f"/runtime-profiles/{profile_id}", body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def published(w: World, files: dict[str, bytes] | None = None) -> Release:
    """A published release whose commit is main after committing ``files``."""
    for path, content in (files or {}).items():
        w.commit_branch(path, content, branch="main")
    now = w.env.clock.now()
    sha = w.integration_head()
    return w.repos.releases.insert(
        Release(
            id=w.env.services.deps.ids.new_id(), created_at=now, updated_at=now,
            app_id=w.app_id, tag=f"v{now:%Y.%m.%d}-{sha[:6]}", state=ReleaseState.PUBLISHED,
            base_sha=sha, composed_sha=sha, published_sha=sha, published_at=now,
            published_by=w.cm.id, created_by=w.cm.id,
        )
    )  # fmt: skip


def applied(
    w: World, env: Environment, release: Release, migration_ids: list[str] | None = None
) -> Environment:
    """Record the current revisions as E's applied state (a succeeded deployment of
    ``release``) and make ``release`` E's current release."""
    profile = w.repos.runtime_profiles.get(env.runtime_profile_id)
    defaults_id = w.app.defaults_profile_id
    defaults = None if defaults_id is None else w.repos.runtime_profiles.get(defaults_id)
    now = w.env.clock.now()
    fresh = w.repos.environments.get(env.id)
    fresh.applied_state = AppliedState(
        deployment_id=w.env.services.deps.ids.new_id(),
        release_id=release.id,
        profile_revision_id=profile.current_revision_id,
        defaults_revision_id=None if defaults is None else defaults.current_revision_id,
        migration_ids=list(migration_ids or []),
        deployed_at=now,
    )
    fresh.current_release_id = release.id
    fresh.last_deployed_at = now
    return w.repos.environments.save(fresh)


def executed(w: World, env: Environment, release: Release, ids: dict[str, str]) -> None:
    """One migration execution of E with a status per id (``succeeded``/``failed``)."""
    now = w.env.clock.now()
    w.repos.migration_executions.insert(
        MigrationExecution(
            id=w.env.services.deps.ids.new_id(), created_at=now, updated_at=now,
            app_id=w.app_id, environment_id=env.id, release_id=release.id,
            deployment_id=w.env.services.deps.ids.new_id(),
            status=MigrationStatus.SUCCEEDED, triggered_by=w.cm.id, started_at=now,
            applied_migrations=[
                AppliedMigration(id=i, status=MigrationStatus(s)) for i, s in ids.items()
            ],
        )
    )  # fmt: skip


def drift(w: World, env: Environment, query: str = "", user: Any = None) -> dict[str, Any]:
    response = w.call("GET", user or w.author, f"/environments/{env.id}/drift{query}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def set_deploy_command(w: World, command: str | None) -> None:
    """Set ``validation_gates.deploy.command`` (None: the built-in validator)."""
    app = w.app
    gates = msgspec.structs.replace(
        app.settings.validation_gates, deploy=GateConfig(command=command)
    )
    app.settings = msgspec.structs.replace(app.settings, validation_gates=gates)
    w.repos.apps.save(app)


def run_check(
    w: World, verdict: Verdict | None = None
) -> tuple[Job, dict[str, Any] | ConmanError, Run]:
    """Claim the next queued drift check and run its handler as the runner would (a
    domain error is a final failure keeping a gate's result)."""
    handler: DriftCheckJob = w.env.container.drift_check_job()
    w.env.clock.advance(seconds=1)
    kind = JobType.RUNTIME_PROFILE_DRIFT_CHECK.value
    job = w.queue.claim("w/1", w.env.clock.now(), 60, [kind])
    assert job is not None, "no queued drift check"
    ctx = Run(job, verdict)
    try:
        result = handler(ctx)
    except ConmanError as exc:
        kept = exc.result if isinstance(exc, GateFailed) else None
        w.queue.fail(job.id, "w/1", exc.message, w.env.clock.now(), False, result=kept)
        return w.queue.get(job.id), exc, ctx
    w.queue.complete(job.id, "w/1", result, w.env.clock.now())
    return w.queue.get(job.id), result, ctx
