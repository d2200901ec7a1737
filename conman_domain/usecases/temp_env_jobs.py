"""The temp env jobs and the sweep (DOMAIN.md §16.3, §17.1, §17.5).

``TempEnvJobs`` bundles the three job handlers (``provision``, ``expire``, ``cleanup``),
the cancel effect of ``temp_env_provision`` (a provision failure) and ``sweep``, which
the job runner's poll hook calls every ``CONMAN_TEMP_ENV_SWEEP_INTERVAL_S``:

- each active env within 1 h of ``expires_at`` and not warned, each active env past
  ``expires_at`` and each expiring env past ``grace_until`` gets one ``temp_env_expire``
  job (at most one queued or running per env), which applies what is due then;
- each provisioning env whose provision job ended failed or canceled without the
  handler noticing (the last attempt timed out) is released as a provision failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conman_domain.errors import NotFound
from conman_domain.model import (
    App,
    Job,
    JobState,
    JobType,
    NotificationEvent,
    TempEnvironment,
    TempEnvState,
)
from conman_domain.ports.jobs import RunningJobPort
from conman_domain.states.temp_env import (
    EXPIRY_WARNING_WINDOW,
    expire,
    start_grace,
    sweep_action,
)
from conman_domain.usecases.temp_env_cleanup import TempEnvCleanup
from conman_domain.usecases.temp_env_provision import TempEnvProvision, fail_provision
from conman_domain.usecases.temp_env_shapes import (
    TempEnvDeps,
    enqueue_temp_job,
    job_actor,
    load_job_env,
    notify_creator,
    save_temp_env,
    ttl_and_grace,
)

__all__ = ["TempEnvExpire", "TempEnvJobs"]

_PENDING = [JobState.QUEUED.value, JobState.RUNNING.value]
_ENDED = (JobState.FAILED, JobState.CANCELED)


class TempEnvExpire:
    """The ``temp_env_expire`` job handler: applies the sweep step due now (warn,
    active → expiring, expiring → expired with cleanup enqueued), or nothing."""

    def __init__(self, deps: TempEnvDeps) -> None:
        self.deps = deps

    def __call__(self, ctx: RunningJobPort) -> dict[str, Any]:
        d = self.deps
        app, env = load_job_env(d, ctx.job)
        now = d.clock.now()
        action = sweep_action(env, now)
        ctx.log("info", f"temp env {env.id} in {env.state.value}: {action or 'nothing due'}")
        if action == "warn":
            self._warn(app, env)
        elif action == "expire":
            self._expire(ctx.job, app, env)
        elif action == "grace_elapsed":
            self._grace_elapsed(ctx.job, app, env)
        return {"action": action}

    def _warn(self, app: App, env: TempEnvironment) -> None:
        def flag(e: TempEnvironment) -> None:
            e.expiry_warning_sent = True

        saved = save_temp_env(self.deps, env.id, flag)
        notify_creator(self.deps, NotificationEvent.TEMP_ENV_EXPIRY_WARNING, app, saved, None)

    def _expire(self, job: Job, app: App, env: TempEnvironment) -> None:
        d = self.deps
        _, grace = ttl_and_grace(d, app, env)
        now = d.clock.now()
        saved = save_temp_env(d, env.id, lambda e: start_grace(e, now, grace))
        d.audit.record(
            job_actor(job),
            "temp_environment.expiring",
            app_id=app.id,
            entity_id=env.id,
            before={"state": env.state},
            after={"state": saved.state, "grace_until": saved.grace_until},
        )
        notify_creator(d, NotificationEvent.TEMP_ENV_GRACE_STARTED, app, saved, None)

    def _grace_elapsed(self, job: Job, app: App, env: TempEnvironment) -> None:
        d = self.deps
        now = d.clock.now()
        saved = save_temp_env(d, env.id, lambda e: expire(e, now))
        cleanup = enqueue_temp_job(d, saved, JobType.TEMP_ENV_CLEANUP, None)
        d.audit.record(
            job_actor(job),
            "temp_environment.expired",
            app_id=app.id,
            entity_id=env.id,
            before={"state": env.state},
            after={"state": saved.state, "cleanup_job_id": cleanup.id},
        )
        notify_creator(d, NotificationEvent.TEMP_ENV_EXPIRED, app, saved, None)


class TempEnvJobs:
    """The temp env job handlers, cancel effects and sweep over one ``TempEnvDeps``."""

    def __init__(self, deps: TempEnvDeps) -> None:
        self.deps = deps
        self.provision = TempEnvProvision(deps)
        self.expire = TempEnvExpire(deps)
        self.cleanup = TempEnvCleanup(deps)

    def handlers(self) -> dict[str, Callable[[RunningJobPort], dict[str, Any]]]:
        return {
            JobType.TEMP_ENV_PROVISION.value: self.provision,
            JobType.TEMP_ENV_EXPIRE.value: self.expire,
            JobType.TEMP_ENV_CLEANUP.value: self.cleanup,
        }

    def cancel_effects(self) -> dict[str, Callable[[Job], None]]:
        """Canceling a queued ``temp_env_provision`` is a provision failure (§17.5)."""
        return {JobType.TEMP_ENV_PROVISION.value: self._provision_canceled}

    def _provision_canceled(self, job: Job) -> None:
        try:
            app, env = load_job_env(self.deps, job)
        except NotFound:
            return
        fail_provision(self.deps, app, env.id, job, "canceled")

    def sweep(self) -> int:
        """Enqueue the due ``temp_env_expire`` jobs and release orphaned provisioning
        envs; returns how many envs were acted on."""
        d = self.deps
        now = d.clock.now()
        envs = d.repos.temp_environments
        due = envs.all(
            {
                "state": TempEnvState.ACTIVE.value,
                "expires_at": {"$lte": now + EXPIRY_WARNING_WINDOW},
            }
        )
        due += envs.all({"state": TempEnvState.EXPIRING.value, "grace_until": {"$lte": now}})
        acted = 0
        for env in due:
            if sweep_action(env, now) is None or self._has_pending_expire(env):
                continue
            enqueue_temp_job(d, env, JobType.TEMP_ENV_EXPIRE, None)
            acted += 1
        # A provision job that ended without releasing its env (a timed-out last attempt).
        for env in envs.all({"state": TempEnvState.PROVISIONING.value}):
            acted += self._release_orphan(env)
        return acted

    def _has_pending_expire(self, env: TempEnvironment) -> bool:
        found = self.deps.jobs.list(
            {
                "app_id": env.app_id,
                "entity_type": "temp_environment",
                "entity_id": env.id,
                "job_type": JobType.TEMP_ENV_EXPIRE.value,
                "state": {"$in": _PENDING},
            },
            limit=1,
        )
        return found.total > 0

    def _release_orphan(self, env: TempEnvironment) -> int:
        if env.provision_job_id is None:
            return 0
        try:
            job = self.deps.jobs.get(env.provision_job_id)
        except NotFound:
            return 0
        if job.state not in _ENDED:
            return 0
        app = self.deps.repos.apps.find_one({"id": env.app_id})
        if app is None:
            return 0
        return int(fail_provision(self.deps, app, env.id, job, job.error_message or "failed"))
