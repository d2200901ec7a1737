"""``temp_env_provision`` (DOMAIN.md §16.5): snapshot branch, temp profile, database,
optional hook, then active.

Every step is idempotent, so a retried attempt finishes what an earlier one started. A
final failure (a non-infrastructure error, the last attempt, or a cancel) releases the
partial resources and ends the env deleted, with audit ``temp_environment.provision_failed``
and notification ``temp_env_provision_failed``; the sweep does the same for envs whose
provision job ended without the handler noticing (a timeout of the last attempt).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from conman_domain.errors import ConmanError, InvalidTransition, NotFound, Validation
from conman_domain.model import (
    App,
    ChangeKind,
    Job,
    NotificationEvent,
    ProfileKind,
    ProfileRevision,
    ProfileSnapshot,
    ProvisioningMode,
    RuntimeProfile,
    SecretRecord,
    TempEnvironment,
    TempEnvKind,
    TempEnvState,
)
from conman_domain.ports.jobs import RunningJobPort
from conman_domain.ports.runner import CommandMetadata
from conman_domain.ports.secrets import SecretAad
from conman_domain.rules.resolution import (
    ResolvedProfile,
    apply_env_var_overrides,
    apply_override,
    resolve_profile,
)
from conman_domain.states.temp_env import mark_provisioned
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.temp_env_cleanup import release_resources
from conman_domain.usecases.temp_env_shapes import (
    TempEnvDeps,
    job_actor,
    load_job_env,
    notify_creator,
    save_temp_env,
    ttl_and_grace,
)
from conman_domain.usecases.validate import command_env

__all__ = ["TempEnvProvision", "fail_provision", "uri_database"]

_RETRYABLE_CODES = frozenset({"git_error", "git_timeout", "service_unavailable"})


def uri_database(uri: str) -> str | None:
    """The database named by the path of a MongoDB URI (``mongodb://h/<db>?...``)."""
    path = urlsplit(uri).path.lstrip("/")
    return unquote(path) or None


def fail_provision(deps: TempEnvDeps, app: App, env_id: str, job: Job, reason: str) -> bool:
    """Release the partial resources of a still-provisioning env and end it deleted
    (§16.2 provisioning → deleted). False when the env is no longer provisioning."""
    env = deps.repos.temp_environments.get(env_id)
    if env.state is not TempEnvState.PROVISIONING:
        return False
    release_resources(deps, app, env, keep_db=False)
    now = deps.clock.now()

    def failed(e: TempEnvironment) -> None:
        if e.state is not TempEnvState.PROVISIONING:
            raise InvalidTransition(e.state.value, TempEnvState.DELETED.value)
        e.state, e.live, e.deleted_at = TempEnvState.DELETED, False, now

    try:
        saved = save_temp_env(deps, env.id, failed)
    except InvalidTransition:
        return False
    deps.audit.record(
        job_actor(job),
        "temp_environment.provision_failed",
        app_id=app.id,
        entity_id=env.id,
        before={"state": TempEnvState.PROVISIONING},
        after={"state": saved.state, "job_id": job.id, "error": reason},
    )
    notify_creator(deps, NotificationEvent.TEMP_ENV_PROVISION_FAILED, app, saved, None)
    return True


class TempEnvProvision:
    """The ``temp_env_provision`` job handler."""

    def __init__(self, deps: TempEnvDeps) -> None:
        self.deps = deps

    def __call__(self, ctx: RunningJobPort) -> dict[str, Any]:
        job = ctx.job
        app, env = load_job_env(self.deps, job)
        if env.state is TempEnvState.ACTIVE:
            return {"state": env.state.value, "base_url": env.base_url}
        if env.state is not TempEnvState.PROVISIONING:
            raise InvalidTransition(env.state.value, TempEnvState.ACTIVE.value)
        try:
            return self._steps(ctx, app, env)
        except Exception as exc:
            if self._final(ctx, exc):
                reason = exc.message if isinstance(exc, ConmanError) else type(exc).__name__
                ctx.log("error", f"provisioning failed finally: {reason}")
                fail_provision(self.deps, app, env.id, job, reason)
            raise

    def _final(self, ctx: RunningJobPort, exc: Exception) -> bool:
        """A cancel, the last attempt, or (unless the job was stopped, e.g. by a timeout
        that is retried) an error that is not an infrastructure failure."""
        job = ctx.job
        if self._cancel_requested(job) or job.attempts >= job.max_attempts:
            return True
        if ctx.should_stop():
            return False
        return isinstance(exc, ConmanError) and exc.code not in _RETRYABLE_CODES

    def _cancel_requested(self, job: Job) -> bool:
        return self.deps.jobs.get(job.id).cancel_requested

    def _check_stop(self, ctx: RunningJobPort) -> None:
        if ctx.should_stop():
            raise Validation("provisioning stopped (canceled or timed out)")

    def _steps(self, ctx: RunningJobPort, app: App, env: TempEnvironment) -> dict[str, Any]:
        d = self.deps
        sha = self._source_sha(app, env)
        repo = repo_ref(app)
        if d.git.resolve(repo, f"refs/heads/{env.snapshot_branch}") is None:
            d.git.create_branch(repo, env.snapshot_branch, sha)
        ctx.log("info", f"snapshot branch {env.snapshot_branch} at {sha}")
        self._check_stop(ctx)
        resolved = self.resolve(app, env)
        profile = self._temp_profile(app, env, resolved)
        ctx.log("info", f"temp profile {profile.id}")
        self._check_stop(ctx)
        self._database(ctx, app, env, resolved)
        self._check_stop(ctx)
        temp = resolve_profile(self._defaults(app), (profile.id, profile.snapshot()))
        self._hook(ctx, app, env, temp, sha)
        ttl, _ = ttl_and_grace(d, app, env)
        now = d.clock.now()
        saved = save_temp_env(d, env.id, lambda e: mark_provisioned(e, now, ttl))
        d.audit.record(
            job_actor(ctx.job),
            "temp_environment.provisioned",
            app_id=app.id,
            entity_id=env.id,
            before={"state": TempEnvState.PROVISIONING},
            after={"state": saved.state, "expires_at": saved.expires_at, "snapshot_sha": sha},
            git_sha=sha,
        )
        return {"state": saved.state.value, "snapshot_sha": sha, "runtime_profile_id": profile.id}

    def _source_sha(self, app: App, env: TempEnvironment) -> str:
        repos = self.deps.repos
        workspace_id = env.workspace_id
        if env.kind is TempEnvKind.CHANGESET:
            cs = repos.changesets.find_one({"id": env.changeset_id or "", "app_id": app.id})
            if cs is None:
                raise NotFound("changeset", env.changeset_id or "")
            if cs.head_sha is not None:
                return cs.head_sha
            workspace_id = cs.workspace_id
        ws = repos.workspaces.find_one({"id": workspace_id or "", "app_id": app.id})
        if ws is None:
            raise NotFound("workspace", workspace_id or "")
        return ws.working_sha

    def _defaults(self, app: App) -> tuple[str, ProfileSnapshot] | None:
        if app.defaults_profile_id is None:
            return None
        found = self.deps.repos.runtime_profiles.find_one(
            {"id": app.defaults_profile_id, "app_id": app.id}
        )
        return None if found is None else (found.id, found.snapshot())

    def resolve(self, app: App, env: TempEnvironment) -> ResolvedProfile:
        """app_defaults → base profile → request env vars → (changeset) the changeset's
        overrides for the base profile's environment (DOMAIN.md §15.3)."""
        repos = self.deps.repos
        base = repos.runtime_profiles.find_one(
            {"id": env.base_runtime_profile_id, "app_id": app.id}
        )
        if base is None:
            raise NotFound("runtime profile", env.base_runtime_profile_id)
        resolved = resolve_profile(self._defaults(app), (base.id, base.snapshot()))
        resolved = apply_env_var_overrides(resolved, env.env_var_overrides)
        if env.kind is TempEnvKind.CHANGESET and base.environment_id is not None:
            found = repos.profile_overrides.find_one(
                {"changeset_id": env.changeset_id, "target_environment_id": base.environment_id}
            )
            if found is not None:
                resolved = apply_override(resolved, found.snapshot())
        return resolved

    def _temp_profile(
        self, app: App, env: TempEnvironment, resolved: ResolvedProfile
    ) -> RuntimeProfile:
        d = self.deps
        if env.runtime_profile_id is None:
            profile_id = d.ids.new_id()
            env = save_temp_env(d, env.id, lambda e: setattr(e, "runtime_profile_id", profile_id))
        profile_id = env.runtime_profile_id or ""
        found = d.repos.runtime_profiles.find_one({"id": profile_id, "app_id": app.id})
        if found is not None:
            return found
        secrets: dict[str, SecretRecord] = {}
        for key, sourced in resolved.secrets.items():
            plain = d.cipher.decrypt(
                sourced.record, SecretAad(app_id=app.id, profile_id=sourced.profile_id, key=key)
            )
            secrets[key] = d.cipher.encrypt(
                plain, SecretAad(app_id=app.id, profile_id=profile_id, key=key)
            )
        now, revision_id = d.clock.now(), d.ids.new_id()
        kind = (
            ProfileKind.TEMP_WORKSPACE
            if env.kind is TempEnvKind.WORKSPACE
            else ProfileKind.TEMP_CHANGESET
        )
        profile = RuntimeProfile(
            id=profile_id, created_at=now, updated_at=now, app_id=app.id,
            name=f"temp-{env.id}", kind=kind, base_url=env.base_url,
            env_vars=dict(resolved.env_vars), secrets=secrets,
            secrets_updated_at=dict.fromkeys(secrets, now), database=resolved.database,
            migrations=resolved.migrations, data_strategy=resolved.data_strategy,
            lifecycle=resolved.lifecycle, current_revision=1,
            current_revision_id=revision_id, created_by=env.created_by,
        )  # fmt: skip
        d.repos.runtime_profiles.insert(profile)
        d.repos.profile_revisions.insert(
            ProfileRevision(
                id=revision_id, created_at=now, app_id=app.id, runtime_profile_id=profile_id,
                revision_number=1, change_kind=ChangeKind.TEMP_DERIVED,
                change_note=f"temp environment {env.id}", snapshot=profile.snapshot(),
                created_by=env.created_by,
            )
        )  # fmt: skip
        return profile

    def server_uri(self, app: App, resolved: ResolvedProfile) -> str:
        """The base profile's connection secret, else ``CONMAN_TEMP_DB_URI``."""
        ref = resolved.database.connection_ref
        sourced = None if ref is None else resolved.secrets.get(ref)
        if sourced is not None and ref is not None:
            aad = SecretAad(app_id=app.id, profile_id=sourced.profile_id, key=ref)
            return self.deps.cipher.decrypt(sourced.record, aad)
        if self.deps.config.db_uri is None:
            raise Validation("no temp database server: set CONMAN_TEMP_DB_URI")
        return self.deps.config.db_uri

    def _database(
        self, ctx: RunningJobPort, app: App, env: TempEnvironment, resolved: ResolvedProfile
    ) -> None:
        d = self.deps
        uri = self.server_uri(app, resolved)
        mode = resolved.database.provisioning_mode
        ctx.log("info", f"database {env.db_name} ({mode.value})")
        if mode is ProvisioningMode.CLONE_FROM_BASE:
            source_id = resolved.database.base_profile_id or ""
            source = d.repos.runtime_profiles.find_one({"id": source_id, "app_id": app.id})
            if source is None:
                raise NotFound("runtime profile", source_id)
            source_uri = self.server_uri(app, resolve_profile(None, (source.id, source.snapshot())))
            source_db = uri_database(source_uri)
            if source_db is None:
                raise Validation("the clone source URI names no database")
            d.provisioner.clone_from(uri, source_uri, source_db, env.db_name)
        elif mode is ProvisioningMode.SNAPSHOT_RESTORE:
            ref = resolved.data_strategy.seed_source_ref
            if ref is None:
                raise Validation("snapshot_restore needs data_strategy.seed_source_ref")
            d.provisioner.restore_snapshot(uri, ref, env.db_name)
        else:
            meta = {"temp_env_id": env.id, "app_id": app.id, "created_at": env.created_at}
            d.provisioner.create(uri, env.db_name, meta)

    def _hook(
        self,
        ctx: RunningJobPort,
        app: App,
        env: TempEnvironment,
        temp: ResolvedProfile,
        sha: str,
    ) -> None:
        command = self.deps.config.provision_command
        if command is None:
            return
        extra = {
            "CONMAN_TEMP_ENV_ID": env.id,
            "CONMAN_DB_NAME": env.db_name,
            "CONMAN_SNAPSHOT_BRANCH": env.snapshot_branch,
            "CONMAN_SEED_MODE": temp.data_strategy.seed_mode.value,
            "CONMAN_SEED_SOURCE_REF": temp.data_strategy.seed_source_ref or "",
        }
        metadata = CommandMetadata(
            app_id=app.id, entity_type="temp_environment", entity_id=env.id, commit_sha=sha
        )
        cenv = command_env(temp, self.deps.cipher, app_id=app.id, metadata=metadata, extra=extra)
        repo, git = repo_ref(app), self.deps.git
        run = ctx.run_command(
            command,
            materialize=lambda dest: git.materialize(repo, sha, dest),
            env=cenv,
            timeout_seconds=self.deps.config.hook_timeout_seconds,
        )
        if not run.passed:
            why = "timeout" if run.timed_out else f"exit code {run.exit_code}"
            raise Validation(f"the provision command failed ({why})")
