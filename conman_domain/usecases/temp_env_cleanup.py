"""``temp_env_cleanup`` (DOMAIN.md §16.6) and the release of a temp env's resources.

Steps, each idempotent: drop the database (kept with ``db_retained`` when the temp
profile's ``auto_cleanup`` is false), delete the snapshot branch (missing = success),
run ``CONMAN_TEMP_ENV_CLEANUP_COMMAND``, archive the temp profile, then deleted with
``cleaned_up_at`` and audit ``temp_environment.cleaned_up``.
"""

from __future__ import annotations

from typing import Any

from conman_domain.errors import InvalidTransition, Validation
from conman_domain.model import (
    App,
    RuntimeProfile,
    TempEnvironment,
    TempEnvState,
)
from conman_domain.ports.jobs import RunningJobPort
from conman_domain.ports.runner import CommandEnv, CommandMetadata
from conman_domain.ports.secrets import SecretAad
from conman_domain.rules.resolution import resolve_profile
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.temp_env_shapes import (
    TempEnvDeps,
    job_actor,
    load_job_env,
    save_temp_env,
)
from conman_domain.usecases.validate import command_env

__all__ = ["TempEnvCleanup", "release_resources", "server_uri_of"]

_CLEANABLE = (TempEnvState.EXPIRED, TempEnvState.DELETED)


def _profile(deps: TempEnvDeps, app: App, profile_id: str | None) -> RuntimeProfile | None:
    if profile_id is None:
        return None
    return deps.repos.runtime_profiles.find_one({"id": profile_id, "app_id": app.id})


def server_uri_of(deps: TempEnvDeps, app: App, env: TempEnvironment) -> str | None:
    """The server of the env's database: the connection secret of the temp profile
    (else of the base profile), else ``CONMAN_TEMP_DB_URI``; None when there is none."""
    for profile_id in (env.runtime_profile_id, env.base_runtime_profile_id):
        profile = _profile(deps, app, profile_id)
        if profile is None:
            continue
        ref = profile.database.connection_ref
        record = None if ref is None else profile.secrets.get(ref)
        if record is not None and ref is not None:
            aad = SecretAad(app_id=app.id, profile_id=profile.id, key=ref)
            return deps.cipher.decrypt(record, aad)
        break
    return deps.config.db_uri


def release_resources(deps: TempEnvDeps, app: App, env: TempEnvironment, *, keep_db: bool) -> None:
    """Drop the database (unless ``keep_db``), delete the snapshot branch and archive
    the temp profile. Each step is idempotent."""
    uri = server_uri_of(deps, app, env)
    if not keep_db and uri is not None:
        deps.provisioner.drop(uri, env.db_name)
    deps.git.delete_ref(repo_ref(app), f"refs/heads/{env.snapshot_branch}", expected_old=None)
    archive_profile(deps, app, env)


def archive_profile(deps: TempEnvDeps, app: App, env: TempEnvironment) -> None:
    profile = _profile(deps, app, env.runtime_profile_id)
    if profile is None or profile.archived:
        return
    now = deps.clock.now()
    deps.repos.runtime_profiles.set_fields(
        profile.id, profile.version, {"archived": True, "archived_at": now, "updated_at": now}
    )


class TempEnvCleanup:
    """The ``temp_env_cleanup`` job handler."""

    def __init__(self, deps: TempEnvDeps) -> None:
        self.deps = deps

    def __call__(self, ctx: RunningJobPort) -> dict[str, Any]:
        d = self.deps
        app, env = load_job_env(d, ctx.job)
        if env.state not in _CLEANABLE:
            raise InvalidTransition(env.state.value, TempEnvState.DELETED.value)
        if env.cleaned_up_at is not None:
            return {"state": env.state.value, "db_retained": env.db_retained}
        profile = _profile(d, app, env.runtime_profile_id)
        keep_db = profile is not None and not profile.lifecycle.auto_cleanup
        uri = server_uri_of(d, app, env)
        if not keep_db and uri is not None:
            d.provisioner.drop(uri, env.db_name)
            ctx.log("info", f"dropped database {env.db_name}")
        d.git.delete_ref(repo_ref(app), f"refs/heads/{env.snapshot_branch}", expected_old=None)
        ctx.log("info", f"deleted snapshot branch {env.snapshot_branch}")
        self._hook(ctx, app, env, profile)
        archive_profile(d, app, env)
        now = d.clock.now()

        def done(e: TempEnvironment) -> None:
            if e.state not in _CLEANABLE:
                raise InvalidTransition(e.state.value, TempEnvState.DELETED.value)
            if e.state is TempEnvState.EXPIRED:
                e.deleted_at = now
            e.state, e.live = TempEnvState.DELETED, False
            e.cleaned_up_at, e.db_retained = now, keep_db

        saved = save_temp_env(d, env.id, done)
        d.audit.record(
            job_actor(ctx.job),
            "temp_environment.cleaned_up",
            app_id=app.id,
            entity_id=env.id,
            before={"state": env.state},
            after={"state": saved.state, "db_retained": keep_db},
        )
        return {"state": saved.state.value, "db_retained": keep_db}

    def _hook(
        self, ctx: RunningJobPort, app: App, env: TempEnvironment, profile: RuntimeProfile | None
    ) -> None:
        command = self.deps.config.cleanup_command
        if command is None:
            return
        repo = repo_ref(app)
        sha = self.deps.git.resolve(repo, f"refs/heads/{app.integration_branch}") or ""
        resolved = resolve_profile(None, (profile.id, profile.snapshot())) if profile else None
        metadata = CommandMetadata(
            app_id=app.id, entity_type="temp_environment", entity_id=env.id, commit_sha=sha
        )
        extra = {
            "CONMAN_TEMP_ENV_ID": env.id,
            "CONMAN_DB_NAME": env.db_name,
            "CONMAN_SNAPSHOT_BRANCH": env.snapshot_branch,
        }
        if resolved is not None:
            extra["CONMAN_SEED_MODE"] = resolved.data_strategy.seed_mode.value
            extra["CONMAN_SEED_SOURCE_REF"] = resolved.data_strategy.seed_source_ref or ""
            cenv = command_env(
                resolved, self.deps.cipher, app_id=app.id, metadata=metadata, extra=extra
            )
        else:
            cenv = CommandEnv(metadata=metadata, extra=extra)
        git = self.deps.git
        run = ctx.run_command(
            command,
            materialize=lambda dest: git.materialize(repo, sha, dest),
            env=cenv,
            timeout_seconds=self.deps.config.hook_timeout_seconds,
        )
        if not run.passed:
            why = "timeout" if run.timed_out else f"exit code {run.exit_code}"
            raise Validation(f"the cleanup command failed ({why})")
