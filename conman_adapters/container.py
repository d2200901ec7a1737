"""The composition root: the one place that chooses and builds adapters.

``build_container(settings, backend=..., git_backend=...)`` returns a
``Container`` (dependency-injector ``DeclarativeContainer``). Shells ask it for use
cases and ports; tests override single providers (``container.store.override(...)``).

Selection (ARCHITECTURE.md §5):
- store: ``--backend`` if given, else ``mongo`` with ``CONMAN_MONGO_URI``, else
  ``sqlite`` at ``<data dir>/conman.db``; ``memory`` for tests;
- git: ``gitaly`` with ``CONMAN_GITALY_ADDRESS``, else ``local`` bare repositories
  under ``<data dir>/repos``; ``memory`` for tests;
- mail: SMTP with ``CONMAN_SMTP_HOST``, else one file per mail under
  ``<data dir>/mail``.

Keys must have been loaded (``conman_adapters.keys.ensure_embedded_keys``) before
``cipher`` or ``tokens`` is used.
"""

from __future__ import annotations

import time
from importlib.metadata import PackageNotFoundError, version

from dependency_injector import containers, providers

from conman_adapters.config import ConfigError, Settings, select_backend
from conman_adapters.gitaly import GitalyDeadlines, GitalyGit
from conman_adapters.job_wiring import (
    build_command_runner,
    build_job_handlers,
    build_job_queue,
    build_job_runner,
    build_jobs_service,
    build_ttl_purge,
)
from conman_adapters.llm import OpenAiCompatibleLlm
from conman_adapters.localgit import LocalGit
from conman_adapters.mail import FileMailer, SmtpMailer
from conman_adapters.memory import InMemoryGit
from conman_adapters.metrics import ConmanMetrics
from conman_adapters.mongoprov import MongoProvisioner
from conman_adapters.security import AesGcmCipher, Argon2Hasher, JwtTokens
from conman_adapters.store import (
    DocumentStore,
    MemoryStore,
    MongoStore,
    SqliteStore,
    build_repositories,
)
from conman_adapters.store.repositories import Repositories, StoreRunnerHeartbeats
from conman_adapters.system import SystemClock, SystemIds
from conman_domain.errors import Validation
from conman_domain.model import App
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.git import GitPort
from conman_domain.ports.health import RunnerHeartbeatPort, StoreHealthPort
from conman_domain.ports.ids import IdPort
from conman_domain.ports.llm import LlmPort
from conman_domain.ports.mail import MailerPort
from conman_domain.ports.secrets import CipherPort
from conman_domain.usecases.audit import AuditTrail
from conman_domain.usecases.auth import AuthService
from conman_domain.usecases.changeset_services import ChangesetServices
from conman_domain.usecases.deployment_services import DeploymentServices
from conman_domain.usecases.deployment_shapes import DeploymentDeps
from conman_domain.usecases.drift import DriftService
from conman_domain.usecases.drift_check import DriftCheckJob
from conman_domain.usecases.drift_fix import DriftFix
from conman_domain.usecases.gates import SubmitGate
from conman_domain.usecases.health import CheckHealth
from conman_domain.usecases.identity import IdentityConfig, IdentityDeps
from conman_domain.usecases.outbox import OutboxDrain
from conman_domain.usecases.profile_shapes import ProfileDeps
from conman_domain.usecases.profiles import ProfilesService
from conman_domain.usecases.release_services import ReleaseServices
from conman_domain.usecases.review_aids import ReviewAids
from conman_domain.usecases.services import IdentityServices
from conman_domain.usecases.temp_env_jobs import TempEnvJobs
from conman_domain.usecases.temp_env_shapes import TempEnvConfig, TempEnvDeps
from conman_domain.usecases.temp_envs import TempEnvService
from conman_domain.usecases.workspace_context import WorkspaceDeps

__all__ = ["GIT_BACKENDS", "VERSION", "Container", "build_container", "select_git_backend"]

GIT_BACKENDS = ("local", "gitaly", "memory")


def _package_version() -> str:
    try:
        return version("conman")
    except PackageNotFoundError:
        return "0.0.0+unknown"


VERSION = _package_version()


def select_git_backend(settings: Settings, override: str | None = None) -> str:
    """``override`` if given, else ``gitaly`` with an address, else ``local``."""
    if override is None:
        return "local" if settings.gitaly_address is None else "gitaly"
    if override not in GIT_BACKENDS:
        raise ConfigError("git backend", f"must be one of {', '.join(GIT_BACKENDS)}")
    if override == "gitaly" and settings.gitaly_address is None:
        raise ConfigError("CONMAN_GITALY_ADDRESS", "is required for the gitaly git backend")
    return override


def _build_store(settings: Settings, backend: str) -> DocumentStore:
    if backend == "memory":
        return MemoryStore()
    if backend == "mongo":
        if settings.mongo_uri is None:
            raise ConfigError("CONMAN_MONGO_URI", "is required for --backend mongo")
        return MongoStore(settings.mongo_uri, settings.mongo_db)
    try:
        settings.data_path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            "CONMAN_DATA_DIR", f"cannot create {settings.data_dir}: {exc.strerror}"
        ) from exc
    return SqliteStore(settings.data_path / "conman.db")


def _build_git(settings: Settings, git_backend: str, metrics: ConmanMetrics) -> GitPort:
    if git_backend == "memory":
        return InMemoryGit()
    if git_backend == "gitaly":
        if settings.gitaly_address is None:
            raise ConfigError("CONMAN_GITALY_ADDRESS", "is required for the gitaly git backend")
        deadlines = GitalyDeadlines(
            metadata=settings.git_timeout_metadata_s,
            read=settings.git_timeout_read_s,
            diff=settings.git_timeout_diff_s,
            write=settings.git_timeout_write_s,
            merge=settings.git_timeout_merge_s,
        )
        return GitalyGit(
            settings.gitaly_address, storage=settings.gitaly_storage, deadlines=deadlines
        )

    def observe(method: str, outcome: str, seconds: float) -> None:
        metrics.git_calls.labels(method=method, outcome=outcome).inc()
        metrics.git_call_duration.labels(method=method).observe(seconds)

    return LocalGit(settings.data_path / "repos", observer=observe)


def _build_mailer(settings: Settings, clock: ClockPort) -> MailerPort:
    if settings.smtp_host is None:
        return FileMailer(
            settings.data_path / "mail", clock=clock, from_address=settings.email_from_address
        )
    return SmtpMailer(
        host=settings.smtp_host,
        clock=clock,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        tls=settings.smtp_tls,
        from_address=settings.email_from_address,
    )


def _master_keys(settings: Settings) -> dict[int, str]:
    if settings.secrets_master_key is None:
        raise ConfigError("CONMAN_SECRETS_MASTER_KEY", "is not set (embedded keys not loaded)")
    keys = {settings.secrets_master_key_version: settings.secrets_master_key}
    previous = settings.secrets_previous_master_key
    if previous is not None:
        if settings.secrets_previous_master_key_version is None:
            raise ConfigError(
                "CONMAN_SECRETS_PREVIOUS_MASTER_KEY_VERSION",
                "is required with CONMAN_SECRETS_PREVIOUS_MASTER_KEY",
            )
        keys[settings.secrets_previous_master_key_version] = previous
    return keys


def _build_cipher(settings: Settings) -> CipherPort:
    return AesGcmCipher(_master_keys(settings), current=settings.secrets_master_key_version)


def _rotation_cipher(settings: Settings, new_version: int) -> CipherPort:
    """The cipher of ``conman secrets rotate-master-key`` (``RotateMasterKey``): the
    current and previous keys plus ``CONMAN_SECRETS_NEW_MASTER_KEY`` as ``v<new_version>``
    (DOMAIN.md §15.4). Checked before the store is opened."""
    if settings.secrets_new_master_key is None:
        raise ConfigError(
            "CONMAN_SECRETS_NEW_MASTER_KEY", "is required by conman secrets rotate-master-key"
        )
    keys = _master_keys(settings)
    if new_version in keys:
        # Adding it would replace a configured key in the key ring.
        raise Validation(
            f"--new-version {new_version} must differ from the current and previous master "
            f"key versions ({', '.join(f'v{v}' for v in sorted(keys))})"
        )
    keys[new_version] = settings.secrets_new_master_key
    return AesGcmCipher(keys, current=settings.secrets_master_key_version)


def _build_tokens(settings: Settings) -> JwtTokens:
    if settings.jwt_secret is None:
        raise ConfigError("CONMAN_JWT_SECRET", "is not set (embedded keys not loaded)")
    return JwtTokens(settings.jwt_secret, expiry_hours=settings.jwt_expiry_hours)


def _health(
    store: StoreHealthPort,
    git: GitPort,
    heartbeats: RunnerHeartbeatPort,
    clock: ClockPort,
    version: str,
) -> CheckHealth:
    return CheckHealth(
        store=store, git_ping=git.ping, heartbeats=heartbeats, clock=clock, version=version
    )


def _audit_trail(
    repositories: Repositories, clock: ClockPort, ids: IdPort, metrics: ConmanMetrics
) -> AuditTrail:
    return AuditTrail(repositories.audit, clock, ids, on_failure=metrics.audit_write_failures.inc)


def _identity_deps(
    *,
    settings: Settings,
    repositories: Repositories,
    clock: ClockPort,
    ids: IdPort,
    hasher: Argon2Hasher,
    tokens: JwtTokens,
    audit: AuditTrail,
) -> IdentityDeps:
    config = IdentityConfig(
        public_url=settings.public_url,
        invite_expiry_days=settings.invite_expiry_days,
        bootstrap_email=settings.bootstrap_email,
        gitaly_storage=settings.gitaly_storage,
    )
    return IdentityDeps(
        repos=repositories,
        clock=clock,
        ids=ids,
        hasher=hasher,
        tokens=tokens,
        audit=audit,
        config=config,
    )


def _identity(deps: IdentityDeps, git: GitPort, metrics: ConmanMetrics) -> IdentityServices:
    auth = AuthService(deps, on_auth_failure=metrics.auth_failures.inc)
    return IdentityServices(deps, git, auth)


def _outbox_drain(repositories: Repositories, mailer: MailerPort, clock: ClockPort) -> OutboxDrain:
    return OutboxDrain(repositories.notification_outbox, mailer, clock)


def _flow_deps(  # noqa: PLR0917
    settings: Settings,
    repositories: Repositories,
    git: GitPort,
    cipher: CipherPort,
    clock: ClockPort,
    ids: IdPort,
    audit: AuditTrail,
    metrics: ConmanMetrics,
    tokens: JwtTokens,
) -> DeploymentDeps:
    """The dependencies of the change flow: changesets, releases, drift, deployments.
    Each bundle extends the one before it, so one ``DeploymentDeps`` serves all four."""
    return DeploymentDeps(
        tokens=tokens,
        repos=repositories,
        git=git,
        jobs=repositories.jobs,
        cipher=cipher,
        clock=clock,
        ids=ids,
        audit=audit,
        public_url=settings.public_url,
        on_enqueue=metrics.count_enqueued,
    )


def _profiles(
    identity: IdentityDeps, repositories: Repositories, cipher: CipherPort, metrics: ConmanMetrics
) -> ProfilesService:
    count = metrics.count_enqueued
    deps = ProfileDeps(identity=identity, cipher=cipher, jobs=repositories.jobs, on_enqueue=count)
    return ProfilesService(deps)


def _temp_env_deps(  # noqa: PLR0917
    settings: Settings,
    repositories: Repositories,
    git: GitPort,
    cipher: CipherPort,
    clock: ClockPort,
    ids: IdPort,
    audit: AuditTrail,
    metrics: ConmanMetrics,
    provisioner: MongoProvisioner,
) -> TempEnvDeps:
    """Temp envs (DOMAIN.md §16): ``CONMAN_TEMP_URL_DOMAIN``, ``CONMAN_TEMP_DB_URI`` and
    the provision/cleanup hook commands."""

    count = metrics.count_enqueued
    config = TempEnvConfig(
        url_domain=settings.temp_url_domain,
        db_uri=settings.temp_db_uri,
        provision_command=settings.temp_env_provision_command,
        cleanup_command=settings.temp_env_cleanup_command,
    )
    return TempEnvDeps(
        provisioner=provisioner,
        config=config,
        repos=repositories,
        git=git,
        jobs=repositories.jobs,
        cipher=cipher,
        clock=clock,
        ids=ids,
        audit=audit,
        public_url=settings.public_url,
        on_enqueue=count,
    )


def _llm(settings: Settings) -> LlmPort:
    """The CONMAN_LLM_* provider; unconfigured (``configured`` False) without one."""
    return OpenAiCompatibleLlm(
        base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key
    )


def _workspace_deps(  # noqa: PLR0917
    repositories: Repositories,
    git: GitPort,
    clock: ClockPort,
    ids: IdPort,
    audit: AuditTrail,
    temp_envs: TempEnvDeps,
) -> WorkspaceDeps:
    touch = TempEnvService(temp_envs).touch_source

    def on_activity(app: App, workspace_id: str) -> bool:
        return touch(app, workspace_id=workspace_id)

    return WorkspaceDeps(
        repos=repositories,
        git=git,
        clock=clock,
        ids=ids,
        audit=audit,
        sleep=time.sleep,
        on_activity=on_activity,
    )


def _review_aids(repositories: Repositories, git: GitPort, llm: LlmPort) -> ReviewAids:
    return ReviewAids(repos=repositories, git=git, llm=llm)


class Container(containers.DeclarativeContainer):
    """Every adapter and use case of one Conman process (or one test app)."""

    settings = providers.Dependency(instance_of=Settings)
    backend = providers.Dependency(instance_of=str)
    git_backend = providers.Dependency(instance_of=str)
    version = providers.Object(VERSION)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(SystemIds)
    metrics = providers.Singleton(ConmanMetrics)

    store = providers.Singleton(_build_store, settings, backend)
    # Building the repositories creates the indexes (start-up step 4, idempotent).
    repositories = providers.Singleton(build_repositories, store, clock)
    # Health must not depend on index creation, so heartbeats sit on the store directly.
    heartbeats = providers.Singleton(StoreRunnerHeartbeats, store)
    git = providers.Singleton(_build_git, settings, git_backend, metrics)

    mailer = providers.Singleton(_build_mailer, settings, clock)
    cipher = providers.Singleton(_build_cipher, settings)
    tokens = providers.Singleton(_build_tokens, settings)
    # ``conman secrets rotate-master-key``: ``rotation_cipher(new_version=N)``.
    rotation_cipher = providers.Factory(_rotation_cipher, settings)
    hasher = providers.Singleton(Argon2Hasher)

    health = providers.Factory(_health, store, git, heartbeats, clock, version)

    # Identity and app administration (auth, apps, members, invites, audit, outbox).
    audit_trail = providers.Singleton(_audit_trail, repositories, clock, ids, metrics)
    identity_deps = providers.Singleton(
        _identity_deps,
        settings=settings,
        repositories=repositories,
        clock=clock,
        ids=ids,
        hasher=hasher,
        tokens=tokens,
        audit=audit_trail,
    )
    identity = providers.Singleton(_identity, identity_deps, git, metrics)
    # The job runner's ``on_poll`` hook: ``container.outbox_drain()()`` (DOMAIN.md §18.2).
    outbox_drain = providers.Singleton(_outbox_drain, repositories, mailer, clock)
    # The other ``on_poll`` hook: TTL indexes on SQLite and memory (DOMAIN.md §20).
    ttl_purge = providers.Singleton(build_ttl_purge, settings, repositories, clock)

    # Jobs (DOMAIN.md §17): the queue, the sandbox, the handlers and the runner.
    job_queue = providers.Singleton(build_job_queue, repositories)
    command_runner = providers.Singleton(build_command_runner, settings)
    submit_gate = providers.Singleton(SubmitGate, repositories, git, cipher, clock)
    # Releases (DOMAIN.md §13): use cases, job handlers, cancel effects, recovery pass.
    flow_deps = providers.Singleton(
        _flow_deps, settings, repositories, git, cipher, clock, ids, audit_trail, metrics, tokens
    )
    releases = providers.Singleton(ReleaseServices, flow_deps)
    # Temp environments (DOMAIN.md §16): the MongoDB provisioner, use-case deps, jobs.
    temp_provisioner = providers.Singleton(MongoProvisioner)
    temp_env_deps = providers.Singleton(
        _temp_env_deps,
        settings,
        repositories,
        git,
        cipher,
        clock,
        ids,
        audit_trail,
        metrics,
        temp_provisioner,
    )
    temp_env_jobs = providers.Singleton(TempEnvJobs, temp_env_deps)
    # Runtime-profile drift (DOMAIN.md §15.9, §15.10).
    drift = providers.Singleton(DriftService, flow_deps)
    drift_check_job = providers.Singleton(DriftCheckJob, flow_deps, drift)
    # Deployments (DOMAIN.md §14): use cases, deploy_release, cancel effect, recovery.
    deployments = providers.Singleton(DeploymentServices, flow_deps, drift)
    job_handlers = providers.Singleton(
        build_job_handlers,
        submit_gate,
        releases,
        temp_env_jobs,
        drift_check=drift_check_job,
        deployments=deployments,
    )
    jobs = providers.Singleton(
        build_jobs_service,
        repositories,
        audit_trail,
        clock,
        ids,
        metrics,
        releases,
        temp_env_jobs,
        deployments=deployments,
    )
    # Changesets, reviews, comments and profile overrides (DOMAIN.md §9, §12.1, §15.6).
    changesets = providers.Singleton(ChangesetServices, flow_deps)
    profiles = providers.Singleton(_profiles, identity_deps, repositories, cipher, metrics)
    # Workspaces and files (DOMAIN.md §8): routes build the use cases over these deps,
    # which hold the per-workspace write locks, so there is one per process.
    workspace_deps = providers.Singleton(
        _workspace_deps, repositories, git, clock, ids, audit_trail, temp_env_deps
    )
    drift_fix = providers.Singleton(DriftFix, flow_deps, workspace_deps)
    # Diffs, analysis and chat of a changeset (DOMAIN.md §9.5, §10; API.md §9).
    llm = providers.Singleton(_llm, settings)
    review_aids = providers.Singleton(_review_aids, repositories, git, llm)
    # ``conman serve`` and ``conman worker`` build one runner each: ``job_runner()``.
    job_runner = providers.Factory(
        build_job_runner,
        settings,
        job_queue,
        job_handlers,
        clock,
        heartbeats,
        command_runner,
        metrics,
        outbox_drain,
        ttl_purge,
        releases,
        temp_env_jobs,
        deployments=deployments,
    )


def build_container(
    settings: Settings, *, backend: str | None = None, git_backend: str | None = None
) -> Container:
    """A container for ``settings``; nothing is connected until a provider is called."""
    return Container(
        settings=settings,
        backend=select_backend(settings, backend),
        git_backend=select_git_backend(settings, git_backend),
    )
