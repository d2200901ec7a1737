"""The release gate (DOMAIN.md §11.1, §11.4): ``msuite_merge`` and revalidation.

With ``validation_gates.release.command`` null the built-in validator runs once on the
tree. Otherwise the command runs once per environment, in position order, each time with
the environment's profile resolved over app defaults and the given overrides for that
environment (a release's members or a revalidated changeset); all runs must pass. The
result adds ``runs: [{environment_id, passed, exit_code, duration_ms}]``.
"""

from __future__ import annotations

from collections.abc import Sequence

from conman_domain.errors import NotFound
from conman_domain.model import App, Changeset, OverrideSnapshot
from conman_domain.ports.jobs import RunningJobPort
from conman_domain.ports.runner import CommandMetadata
from conman_domain.rules.resolution import resolve_profile
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.release_shapes import ReleaseDeps
from conman_domain.usecases.validate import (
    command_env,
    command_validation_result,
    read_structured_files,
)
from conman_domain.validator import (
    EnvironmentRun,
    ValidationFailure,
    ValidationResult,
    run_builtin_validator,
)

__all__ = ["overrides_of", "run_release_gate"]


def overrides_of(deps: ReleaseDeps, changesets: Sequence[Changeset]) -> list[OverrideSnapshot]:
    """The current-revision overrides of ``changesets``, in their order (later wins)."""
    ids = [c.id for c in changesets]
    if not ids:
        return []
    revisions = {
        (r.changeset_id, r.revision_number): r
        for r in deps.repos.changeset_revisions.all({"changeset_id": {"$in": ids}})
    }
    found: list[OverrideSnapshot] = []
    for cs in changesets:
        revision = revisions.get((cs.id, cs.current_revision))
        if revision is not None:
            found.extend(revision.profile_overrides_snapshot)
    return found


def run_release_gate(
    deps: ReleaseDeps,
    ctx: RunningJobPort,
    app: App,
    sha: str,
    overrides: Sequence[OverrideSnapshot],
    *,
    entity_type: str,
    entity_id: str,
) -> ValidationResult:
    """Validate commit ``sha`` with the release gate of ``app`` (see the module doc)."""
    gate = app.settings.validation_gates.release
    repo = repo_ref(app)
    if gate.command is None:
        ctx.log("info", f"release gate (builtin) on {sha}")
        return run_builtin_validator(
            read_structured_files(deps.git, repo, sha), deps.clock.monotonic
        )
    profiles = deps.repos.runtime_profiles
    defaults = None
    if app.defaults_profile_id is not None:
        found = profiles.find_one({"id": app.defaults_profile_id, "app_id": app.id})
        defaults = None if found is None else (found.id, found.snapshot())
    runs: list[EnvironmentRun] = []
    failures: list[ValidationFailure] = []
    total_ms = 0
    exit_code: int | None = None
    envs = deps.repos.environments.all({"app_id": app.id}, sort=(("position", 1),))
    for env in envs:
        profile = profiles.find_one({"id": env.runtime_profile_id, "app_id": app.id})
        if profile is None:
            raise NotFound("runtime profile", env.runtime_profile_id)
        mine = [o for o in overrides if o.target_environment_id == env.id]
        resolved = resolve_profile(defaults, (profile.id, profile.snapshot()), mine)
        metadata = CommandMetadata(
            app_id=app.id,
            entity_type=entity_type,
            entity_id=entity_id,
            commit_sha=sha,
            gate="release",
        )
        ctx.log("info", f"release gate for environment {env.name} on {sha}")
        run = ctx.run_command(
            gate.command,
            materialize=lambda dest: deps.git.materialize(repo, sha, dest),
            env=command_env(resolved, deps.cipher, app_id=app.id, metadata=metadata),
            timeout_seconds=float(gate.timeout_seconds),
        )
        result = command_validation_result(run)
        runs.append(
            EnvironmentRun(
                environment_id=env.id,
                passed=result.passed,
                exit_code=result.exit_code,
                duration_ms=result.duration_ms,
            )
        )
        total_ms += result.duration_ms
        if not result.passed:
            exit_code = result.exit_code if exit_code is None else exit_code
            failures.extend(
                ValidationFailure(path=f.path, message=f"{env.name}: {f.message}")
                for f in result.failures
            )
        elif exit_code is None and result.exit_code is not None and len(runs) == len(envs):
            exit_code = result.exit_code
        if ctx.should_stop():
            break
    return ValidationResult(
        passed=not failures and len(runs) == len(envs),
        runner="command",
        checks=len(runs),
        failures=failures,
        duration_ms=total_ms,
        exit_code=exit_code,
        runs=runs,
    )
