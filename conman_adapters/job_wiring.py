"""Job wiring for the composition root: the queue, the sandbox, the handler registry,
the jobs use cases and the runner (DOMAIN.md §17; ``conman_adapters.container``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from conman_adapters.config import Settings
from conman_adapters.jobs import JobHandler, JobRunner
from conman_adapters.metrics import ConmanMetrics
from conman_adapters.runner import SubprocessRunner
from conman_adapters.store.repositories import Repositories
from conman_domain.errors import ConmanError
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.health import RunnerHeartbeatPort
from conman_domain.ports.ids import IdPort
from conman_domain.ports.jobs import JobQueuePort
from conman_domain.usecases.audit import AuditTrail
from conman_domain.usecases.deployment_services import DeploymentServices
from conman_domain.usecases.drift_check import DriftCheckJob
from conman_domain.usecases.gates import SubmitGate
from conman_domain.usecases.jobs import JobsService
from conman_domain.usecases.outbox import OutboxDrain
from conman_domain.usecases.release_services import ReleaseServices
from conman_domain.usecases.temp_env_jobs import TempEnvJobs
from conman_domain.usecases.ttl_purge import PeriodicTtlPurge

__all__ = [
    "build_command_runner",
    "build_job_handlers",
    "build_job_queue",
    "build_job_runner",
    "build_jobs_service",
    "build_periodic",
    "build_poll_hook",
    "build_ttl_purge",
]

logger = logging.getLogger("conman.jobs")


def build_job_queue(repositories: Repositories) -> JobQueuePort:
    return repositories.jobs


def build_command_runner(settings: Settings) -> SubprocessRunner:
    return SubprocessRunner(sandbox_user=settings.sandbox_user)


def build_job_handlers(
    submit_gate: SubmitGate,
    releases: ReleaseServices | None = None,
    temp_envs: TempEnvJobs | None = None,
    *,
    drift_check: DriftCheckJob | None = None,
    deployments: DeploymentServices | None = None,
) -> dict[str, JobHandler]:
    """The handler of each job type this build runs (DOMAIN.md §17.1); a job of any
    other type fails with "no worker for job type". Later capabilities add theirs here."""
    handlers: dict[str, JobHandler] = {"msuite_submit": submit_gate}
    if releases is not None:
        handlers["release_assemble"] = releases.assemble_job
        handlers["msuite_merge"] = releases.merge_job
        handlers["revalidate_queued_changeset"] = releases.revalidate_job
    if temp_envs is not None:
        handlers.update(temp_envs.handlers())
    if drift_check is not None:
        handlers["runtime_profile_drift_check"] = drift_check
    if deployments is not None:
        handlers["deploy_release"] = deployments.deploy_job
    return handlers


def build_jobs_service(  # noqa: PLR0917
    repositories: Repositories,
    audit: AuditTrail,
    clock: ClockPort,
    ids: IdPort,
    metrics: ConmanMetrics,
    releases: ReleaseServices | None = None,
    temp_envs: TempEnvJobs | None = None,
    *,
    deployments: DeploymentServices | None = None,
) -> JobsService:
    count = metrics.count_enqueued
    effects = {} if releases is None else releases.cancel_effects()
    if temp_envs is not None:
        effects.update(temp_envs.cancel_effects())
    if deployments is not None:
        effects.update(deployments.cancel_effects())
    return JobsService(
        queue=repositories.jobs,
        changesets=repositories.changesets,
        audit=audit,
        clock=clock,
        ids=ids,
        on_enqueue=count,
        cancel_effects=effects or None,
    )


def build_ttl_purge(
    settings: Settings, repositories: Repositories, clock: ClockPort
) -> PeriodicTtlPurge:
    """TTL indexes on SQLite and memory, at most every ``CONMAN_TEMP_ENV_SWEEP_INTERVAL_S``
    (a no-op round trip on MongoDB, whose TTL is native)."""
    return PeriodicTtlPurge(repositories, clock, float(settings.temp_env_sweep_interval_s))


def build_poll_hook(hooks: Sequence[tuple[str, Callable[[], object]]]) -> Callable[[], None]:
    """The runner's ``on_poll``: every named hook in order, each on every poll. A failing
    hook is logged and does not keep the next ones (or the runner) from running."""

    def on_poll() -> None:
        for name, hook in hooks:
            try:
                hook()
            except ConmanError as exc:
                logger.warning("poll hook %s failed: %s", name, exc.message)
            except Exception:
                logger.exception("poll hook %s failed", name)

    return on_poll


def build_periodic(
    hook: Callable[[], object], clock: ClockPort, every_s: float
) -> Callable[[], object]:
    """``hook`` on the first call (runner start), then at most every ``every_s`` seconds
    (the sweep: the recovery pass of DOMAIN.md §17.3)."""
    last: list[float] = []

    def run() -> object:
        now = clock.monotonic()
        if last and now - last[0] < every_s:
            return None
        last[:] = [now]
        return hook()

    return run


def build_job_runner(  # noqa: PLR0917
    settings: Settings,
    queue: JobQueuePort,
    handlers: dict[str, JobHandler],
    clock: ClockPort,
    heartbeats: RunnerHeartbeatPort,
    command_runner: SubprocessRunner,
    metrics: ConmanMetrics,
    outbox_drain: OutboxDrain,
    ttl_purge: PeriodicTtlPurge,
    releases: ReleaseServices | None = None,
    temp_envs: TempEnvJobs | None = None,
    *,
    deployments: DeploymentServices | None = None,
) -> JobRunner:
    hooks: list[tuple[str, Callable[[], object]]] = [
        ("mail outbox drain", outbox_drain),
        ("ttl purge", ttl_purge),
    ]
    if releases is not None:
        every = float(settings.temp_env_sweep_interval_s)
        hooks.append(("publish recovery", build_periodic(releases.recover, clock, every)))
    if temp_envs is not None:
        every = float(settings.temp_env_sweep_interval_s)
        hooks.append(("temp env sweep", build_periodic(temp_envs.sweep, clock, every)))
    if deployments is not None:
        every = float(settings.temp_env_sweep_interval_s)
        hooks.append(("deployment recovery", build_periodic(deployments.recover, clock, every)))
    return JobRunner(
        queue,
        handlers,
        clock,
        concurrency=settings.job_concurrency,
        poll_interval=settings.job_poll_interval_ms / 1000,
        lease=float(settings.job_lease_s),
        heartbeats=heartbeats,
        timeouts={t: float(s) for t, s in settings.job_timeouts_s.items()},
        command_runner=command_runner,
        metrics=metrics,
        on_poll=build_poll_hook(hooks),
    )
