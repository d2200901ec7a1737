"""What the temp environment use cases and jobs share: their ports and settings, the
API view, loading and compare-and-set saving, TTL and grace, job enqueueing and the
creator's notifications (DOMAIN.md §16, §18; API.md §2 TempEnv)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import msgspec

from conman_domain.errors import Conflict, NotFound, Validation
from conman_domain.model import (
    App,
    Job,
    JobType,
    NotificationEvent,
    ProfileRevision,
    RuntimeProfile,
    TempEnvironment,
    TempEnvKind,
    TempEnvState,
)
from conman_domain.model.audit import AuditContext
from conman_domain.ports.dbprov import DatabaseProvisionerPort
from conman_domain.ports.repos import EntityRepoPort, MutableRepoPort
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.changeset_deps import CAS_RETRIES, ChangesetDeps, ChangesetRepos
from conman_domain.usecases.job_shapes import new_job
from conman_domain.usecases.notify import Audience, Subject, notify_members

__all__ = [
    "TempEnvConfig",
    "TempEnvDeps",
    "TempEnvPayload",
    "TempEnvRepos",
    "TempEnvView",
    "enqueue_temp_job",
    "job_actor",
    "load_job_env",
    "load_temp_env",
    "notify_creator",
    "save_temp_env",
    "temp_env_view",
    "ttl_and_grace",
]


class TempEnvRepos(ChangesetRepos, Protocol):
    """The changeset repositories plus ``temp_environments`` and profile revisions."""

    @property
    def temp_environments(self) -> MutableRepoPort[TempEnvironment]: ...
    @property
    def profile_revisions(self) -> EntityRepoPort[ProfileRevision]: ...


class TempEnvConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Server settings of temp envs (API.md §16): the URL domain used when the app has
    no ``temp_url_domain``, the fallback database server, the optional hook commands
    and their timeout."""

    url_domain: str = "localhost"
    db_uri: str | None = None
    provision_command: str | None = None
    cleanup_command: str | None = None
    hook_timeout_seconds: float = 600.0


class TempEnvDeps(ChangesetDeps):
    """``ChangesetDeps`` plus the temp env repositories, the database provisioner and
    the ``TempEnvConfig``."""

    repos: TempEnvRepos

    def __init__(
        self,
        *,
        provisioner: DatabaseProvisionerPort,
        config: TempEnvConfig,
        **changeset_deps: Any,
    ) -> None:
        super().__init__(**changeset_deps)
        self.provisioner = provisioner
        self.config = config


class TempEnvView(msgspec.Struct, kw_only=True):
    """API shape TempEnv (API.md §2)."""

    id: str
    app_id: str
    kind: TempEnvKind
    workspace_id: str | None
    changeset_id: str | None
    base_runtime_profile_id: str
    runtime_profile_id: str | None
    db_name: str
    base_url: str
    snapshot_branch: str
    state: TempEnvState
    last_activity_at: datetime | None
    expires_at: datetime | None
    grace_until: datetime | None
    expiry_warning_sent: bool
    provision_job_id: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    cleaned_up_at: datetime | None


def temp_env_view(env: TempEnvironment) -> TempEnvView:
    return TempEnvView(
        **{f: getattr(env, f) for f in TempEnvView.__struct_fields__},
    )


def load_temp_env(deps: TempEnvDeps, app_id: str, temp_env_id: str) -> TempEnvironment:
    """The temp env of this app, else 404."""
    found = deps.repos.temp_environments.find_one({"id": temp_env_id, "app_id": app_id})
    if found is None:
        raise NotFound("temp environment", temp_env_id)
    return found


def save_temp_env(
    deps: TempEnvDeps, temp_env_id: str, change: Callable[[TempEnvironment], object]
) -> TempEnvironment:
    """Re-read, apply ``change`` (which may raise to abort) and compare-and-set,
    retrying a lost race a few times."""
    for _ in range(CAS_RETRIES):
        current = deps.repos.temp_environments.get(temp_env_id)
        change(current)
        current.updated_at = deps.clock.now()
        try:
            return deps.repos.temp_environments.save(current)
        except Conflict:
            continue
    raise Conflict("the temp environment kept changing concurrently; try again")


def _base_profile(deps: TempEnvDeps, env: TempEnvironment) -> RuntimeProfile | None:
    return deps.repos.runtime_profiles.find_one(
        {"id": env.base_runtime_profile_id, "app_id": env.app_id}
    )


def ttl_and_grace(deps: TempEnvDeps, app: App, env: TempEnvironment) -> tuple[int, int]:
    """TTL and grace hours: the base profile's lifecycle, else the app settings (§16.1)."""
    base = _base_profile(deps, env)
    lifecycle = None if base is None else base.lifecycle
    ttl = lifecycle.ttl_idle_hours if lifecycle and lifecycle.ttl_idle_hours else None
    grace = lifecycle.grace_hours if lifecycle and lifecycle.grace_hours is not None else None
    return (
        ttl if ttl is not None else app.settings.temp_env_ttl_hours,
        grace if grace is not None else app.settings.temp_env_grace_hours,
    )


def job_actor(job: Job) -> Actor:
    """Jobs audit as their triggering user with ``request_id = job-<jobId>`` (§19.1)."""
    return Actor(user_id=job.created_by, context=AuditContext(request_id=f"job-{job.id}"))


def enqueue_temp_job(
    deps: TempEnvDeps,
    env: TempEnvironment,
    job_type: JobType,
    created_by: str | None,
    job_id: str | None = None,
) -> Job:
    """A new ``job_type`` job for ``env`` with payload ``{temp_env_id}``."""
    job = new_job(
        deps.ids,
        deps.clock,
        app_id=env.app_id,
        job_type=job_type,
        entity_type="temp_environment",
        entity_id=env.id,
        payload={"temp_env_id": env.id},
        created_by=created_by,
    )
    if job_id is not None:
        job.id = job_id
    stored = deps.jobs.enqueue(job)
    if deps.on_enqueue is not None:
        deps.on_enqueue(str(job_type))
    return stored


def notify_creator(
    deps: TempEnvDeps,
    event: NotificationEvent,
    app: App,
    env: TempEnvironment,
    actor_user_id: str | None,
) -> int:
    """Queue ``event`` for the temp env's creator (§18.1); never raises."""
    return notify_members(
        deps.repos,
        deps.ids,
        deps.clock,
        public_url=deps.public_url,
        event=event,
        app=app,
        subject=Subject(entity_id=env.id, title=env.base_url, path=f"temp-envs/{env.id}"),
        actor_user_id=actor_user_id,
        audience=Audience(creator_user_id=env.created_by),
    )


class TempEnvPayload(msgspec.Struct, frozen=True, kw_only=True):
    """The payload of every temp env job."""

    temp_env_id: str


def load_job_env(deps: TempEnvDeps, job: Job) -> tuple[App, TempEnvironment]:
    """The app and temp env of a temp env job; a malformed payload or a missing entity
    is a final failure."""
    try:
        payload = msgspec.convert(job.payload, TempEnvPayload)
    except msgspec.ValidationError as exc:
        raise Validation(f"{job.job_type} payload: {exc}") from exc
    app = deps.repos.apps.find_one({"id": job.app_id or ""})
    if app is None:
        raise NotFound("app", job.app_id or "")
    env = deps.repos.temp_environments.find_one({"id": payload.temp_env_id, "app_id": app.id})
    if env is None:
        raise NotFound("temp environment", payload.temp_env_id)
    return app, env
