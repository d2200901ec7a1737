"""Reading, canceling and retrying jobs (API.md §14; DOMAIN.md §17.5, §17.6).

Every read is scoped by app (another app's job → 404). ``role`` None means the trusted
CLI (API.md §16: no role checks apply); otherwise cancel needs config_manager or the
job's ``created_by`` and retry needs config_manager (the HTTP route checks the minimum
role first, API.md §1.4).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from typing import Any

from conman_domain.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidTransition,
    NotFound,
    Validation,
)
from conman_domain.model import Changeset, ChangesetState, Job, JobState, JobType, Role
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.ids import IdPort
from conman_domain.ports.jobs import JobQueuePort
from conman_domain.ports.repos import MutableRepoPort
from conman_domain.usecases.audit import Actor, AuditTrail
from conman_domain.usecases.job_shapes import (
    JobFilter,
    JobLogView,
    JobView,
    job_log_view,
    job_view,
    new_job,
)

__all__ = ["RETRYABLE_TYPES", "JobsService"]

RETRYABLE_TYPES = frozenset(
    {JobType.MSUITE_SUBMIT, JobType.RUNTIME_PROFILE_DRIFT_CHECK, JobType.TEMP_ENV_CLEANUP}
)
_RESUBMITTABLE = frozenset(
    {ChangesetState.SUBMITTED, ChangesetState.IN_REVIEW, ChangesetState.CHANGES_REQUESTED}
)
_CAS_RETRIES = 5
_TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED})


class JobsService:
    """List, read, cancel and retry jobs. ``cancel_effects[type]`` runs when a queued
    job of that type is canceled at once (DOMAIN.md §17.5; registered by the capability
    that owns the entity). ``on_enqueue(type)`` counts enqueued jobs."""

    def __init__(
        self,
        *,
        queue: JobQueuePort,
        changesets: MutableRepoPort[Changeset],
        audit: AuditTrail,
        clock: ClockPort,
        ids: IdPort,
        cancel_effects: Mapping[str, Callable[[Job], None]] | None = None,
        on_enqueue: Callable[[str], None] | None = None,
    ) -> None:
        self._queue = queue
        self._changesets = changesets
        self._audit = audit
        self._clock = clock
        self._ids = ids
        self._cancel_effects = dict(cancel_effects or {})
        self._on_enqueue = on_enqueue

    def list(
        self, app_id: str | None, flt: JobFilter, page: int = 1, limit: int = 20
    ) -> tuple[list[JobView], int]:
        """Matching jobs, created_at descending (``app_id`` None: every app)."""
        where: dict[str, Any] = {}
        if app_id is not None:
            where["app_id"] = app_id
        if flt.types:
            where["job_type"] = {"$in": [t.value for t in flt.types]}
        if flt.states:
            where["state"] = {"$in": [s.value for s in flt.states]}
        if flt.entity_type is not None:
            where["entity_type"] = flt.entity_type
        if flt.entity_id is not None:
            where["entity_id"] = flt.entity_id
        found = self._queue.list(where, (("created_at", -1),), page, limit)
        return [job_view(j) for j in found.items], found.total

    def load(self, app_id: str | None, job_id: str) -> Job:
        """The job; 404 when missing or (with ``app_id``) in another app."""
        job = self._queue.get(job_id)
        if app_id is not None and job.app_id != app_id:
            raise NotFound("job", job_id)
        return job

    def get(self, app_id: str | None, job_id: str) -> JobView:
        return job_view(self.load(app_id, job_id))

    def logs(
        self, app_id: str | None, job_id: str, page: int = 1, limit: int = 100
    ) -> tuple[builtins.list[JobLogView], int]:
        """The job's log lines in seq order."""
        self.load(app_id, job_id)
        found = self._queue.read_logs(job_id, page, limit)
        return [job_log_view(line) for line in found.items], found.total

    def cancel(self, app_id: str | None, job_id: str, actor: Actor, role: Role | None) -> JobView:
        """queued → canceled at once; running → ``cancel_requested``; terminal → 409."""
        job = self.load(app_id, job_id)
        manager = role is None or role.at_least(Role.CONFIG_MANAGER)
        if not manager and (actor.user_id is None or job.created_by != actor.user_id):
            raise Forbidden("only a config_manager or the job's creator may cancel it")
        if job.state in _TERMINAL:
            raise InvalidTransition(job.state.value, JobState.CANCELED.value)
        after = self._queue.cancel(job.id, self._clock.now())
        if after.state == JobState.CANCELED:
            effect = self._cancel_effects.get(str(job.job_type))
            if effect is not None:
                effect(after)
        self._audit.record(
            actor,
            "job.canceled",
            app_id=job.app_id,
            entity_id=job.id,
            before={"state": job.state},
            after={"state": after.state, "cancel_requested": after.cancel_requested},
        )
        return job_view(after)

    def retry(self, app_id: str | None, job_id: str, actor: Actor, role: Role | None) -> JobView:
        """A new queued job with the same type, entity and payload (DOMAIN.md §17.6)."""
        job = self.load(app_id, job_id)
        if role is not None and not role.at_least(Role.CONFIG_MANAGER):
            raise Forbidden(f"requires role {Role.CONFIG_MANAGER.value}")
        if job.state not in {JobState.FAILED, JobState.CANCELED}:
            raise InvalidTransition(job.state.value, JobState.QUEUED.value)
        if job.job_type not in RETRYABLE_TYPES:
            message = f"job type {job.job_type.value} is not retryable"
            raise Validation(message, [FieldError("job_type", message)])
        if job.job_type == JobType.MSUITE_SUBMIT:
            self._check_submit_retry(job)
        fresh = new_job(
            self._ids,
            self._clock,
            app_id=job.app_id,
            job_type=job.job_type,
            entity_type=job.entity_type,
            entity_id=job.entity_id,
            payload=job.payload,
            created_by=actor.user_id,
        )
        stored = self._queue.enqueue(fresh)
        if self._on_enqueue is not None:
            self._on_enqueue(str(stored.job_type))
        if job.job_type == JobType.MSUITE_SUBMIT:
            self._point_changeset_at(stored)
        self._audit.record(
            actor,
            "job.retried",
            app_id=job.app_id,
            entity_id=job.id,
            before={"job_id": job.id, "state": job.state},
            after={"job_id": stored.id, "state": stored.state},
        )
        return job_view(stored)

    def _submit_changeset(self, job: Job) -> Changeset | None:
        changeset_id = job.payload.get("changeset_id", job.entity_id)
        if not isinstance(changeset_id, str):
            return None
        return self._changesets.find_one({"id": changeset_id, "app_id": job.app_id})

    def _check_submit_retry(self, job: Job) -> None:
        changeset = self._submit_changeset(job)
        if changeset is None:
            raise Conflict("the job's changeset no longer exists")
        if changeset.current_revision != job.payload.get("revision_number"):
            raise Conflict(
                f"changeset {changeset.id} is now at revision {changeset.current_revision}"
            )
        if changeset.state not in _RESUBMITTABLE:
            raise Conflict(f"changeset {changeset.id} is {changeset.state.value}")

    def _point_changeset_at(self, job: Job) -> None:
        """``last_submit_job_id`` names the latest gate run of the current revision."""
        for _ in range(_CAS_RETRIES):
            changeset = self._submit_changeset(job)
            if changeset is None:
                return
            try:
                self._changesets.set_fields(
                    changeset.id, changeset.version, {"last_submit_job_id": job.id}
                )
            except Conflict:
                continue  # another writer updated the changeset first: re-read it
            return
        raise Conflict(f"changeset of job {job.id} kept changing; retry later")
