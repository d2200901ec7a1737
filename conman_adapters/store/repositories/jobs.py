"""The job queue over the ``jobs`` and ``job_logs`` collections (DOMAIN.md §17)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from conman_adapters.store.base import DocumentStore, Filter, Update
from conman_adapters.store.repositories.base import StoreRepository, to_doc
from conman_domain.errors import Conflict, InvalidTransition
from conman_domain.model import Job, JobLog, JobState, LogLevel
from conman_domain.ports.jobs import JobQueuePort, backoff_seconds
from conman_domain.ports.repos import Page, Sort, Where

__all__ = ["StoreJobQueue"]

_RUNNING = JobState.RUNNING.value
_QUEUED = JobState.QUEUED.value
_LOG_SEQ_RETRIES = 100


class StoreJobQueue(JobQueuePort):
    """``JobQueuePort`` on any ``DocumentStore``; claims are find-one-and-update."""

    def __init__(self, store: DocumentStore) -> None:
        self._jobs = StoreRepository(store, "jobs", Job)
        self._logs = StoreRepository(store, "job_logs", JobLog)
        self._coll = store.collection("jobs")
        self._log_coll = store.collection("job_logs")

    def enqueue(self, job: Job) -> Job:
        return self._jobs.insert(job)

    def _take(self, flt: Filter, update: Update) -> Job | None:
        return self._coll.find_one_and_update_as(
            flt, update, Job, sort=[("created_at", 1), ("_id", 1)]
        )

    def claim(
        self, worker_id: str, now: datetime, lease_s: float, job_types: Sequence[str] | None = None
    ) -> Job | None:
        locked_until = now + timedelta(seconds=lease_s)
        typed: dict[str, Any] = {"job_type": {"$in": list(job_types)}} if job_types else {}
        take: Update = {
            "$set": {
                "state": _RUNNING,
                "locked_until": locked_until,
                "worker_id": worker_id,
                "updated_at": now,
            },
            "$inc": {"attempts": 1, "version": 1},
        }
        job = self._take({"state": _QUEUED, "run_after": {"$lte": now}, **typed}, take)
        while job is None:
            job = self._take({"state": _RUNNING, "locked_until": {"$lt": now}, **typed}, take)
            if job is None:
                return None
            if job.attempts > job.max_attempts:
                # The expired lease used the last attempt: the job fails instead.
                self._finish(
                    job, JobState.FAILED, now, error="lease expired", attempts=job.max_attempts
                )
                job = None
        if job.started_at is None:
            self._coll.update_one(
                {"_id": job.id, "started_at": None}, {"$set": {"started_at": now}}
            )
            job.started_at = now
        return job

    def _held(self, job_id: str, worker_id: str) -> dict[str, Any]:
        return {"_id": job_id, "state": _RUNNING, "worker_id": worker_id}

    def heartbeat(self, job_id: str, worker_id: str, now: datetime, lease_s: float) -> bool:
        return self._coll.update_one(
            {**self._held(job_id, worker_id), "cancel_requested": {"$ne": True}},
            {"$set": {"locked_until": now + timedelta(seconds=lease_s)}},
        )

    def _finish(
        self,
        job: Job,
        state: JobState,
        now: datetime,
        *,
        error: str | None = None,
        result: dict[str, Any] | None = None,
        attempts: int | None = None,
    ) -> bool:
        fields: dict[str, Any] = {
            "state": state.value,
            "completed_at": now,
            "locked_until": None,
            "updated_at": now,
        }
        if error is not None:
            fields["error_message"] = error
        if result is not None:
            fields["result"] = result
        if attempts is not None:
            fields["attempts"] = attempts
        return self._coll.update_one(
            {"_id": job.id, "version": job.version}, {"$set": fields, "$inc": {"version": 1}}
        )

    def _held_job(self, job_id: str, worker_id: str) -> Job | None:
        return self._coll.find_one_as(self._held(job_id, worker_id), Job)

    def complete(self, job_id: str, worker_id: str, result: dict[str, Any], now: datetime) -> bool:
        job = self._held_job(job_id, worker_id)
        return job is not None and self._finish(job, JobState.SUCCEEDED, now, result=result)

    def fail(
        self,
        job_id: str,
        worker_id: str,
        error: str,
        now: datetime,
        retryable: bool,
        *,
        result: dict[str, Any] | None = None,
    ) -> Job | None:
        job = self._held_job(job_id, worker_id)
        if job is None:
            return None
        if retryable and job.attempts < job.max_attempts and not job.cancel_requested:
            run_after = now + timedelta(seconds=backoff_seconds(job.attempts))
            fields = {
                "state": _QUEUED,
                "run_after": run_after,
                "error_message": error,
                "locked_until": None,
                "worker_id": None,
                "updated_at": now,
            }
            ok = self._coll.update_one(
                {"_id": job.id, "version": job.version}, {"$set": fields, "$inc": {"version": 1}}
            )
        else:
            ok = self._finish(job, JobState.FAILED, now, error=error, result=result)
        return self._jobs.get(job_id) if ok else None

    def cancel(self, job_id: str, now: datetime) -> Job:
        job = self._jobs.get(job_id)
        if job.state == JobState.QUEUED:
            if not self._finish(job, JobState.CANCELED, now):
                raise Conflict(f"job {job_id} changed while being canceled")
        elif job.state == JobState.RUNNING:
            if not self._coll.update_one(
                {"_id": job.id, "version": job.version},
                {"$set": {"cancel_requested": True, "updated_at": now}, "$inc": {"version": 1}},
            ):
                raise Conflict(f"job {job_id} changed while being canceled")
        else:
            raise InvalidTransition(job.state.value, JobState.CANCELED.value)
        return self._jobs.get(job_id)

    def finish_canceled(self, job_id: str, worker_id: str, now: datetime) -> bool:
        job = self._held_job(job_id, worker_id)
        return job is not None and self._finish(job, JobState.CANCELED, now)

    def get(self, job_id: str) -> Job:
        return self._jobs.get(job_id)

    def list(
        self, where: Where, sort: Sort = (("created_at", -1),), page: int = 1, limit: int = 20
    ) -> Page[Job]:
        return self._jobs.list(where, sort, page, limit)

    def append_log(
        self,
        job_id: str,
        level: LogLevel,
        message: str,
        now: datetime,
        data: dict[str, Any] | None = None,
    ) -> JobLog:
        for _ in range(_LOG_SEQ_RETRIES):
            last = self._log_coll.find_one({"job_id": job_id}, sort=[("seq", -1)])
            seq = int(last["seq"]) + 1 if last is not None else 1
            line = JobLog(
                id=str(ObjectId()),
                created_at=now,
                job_id=job_id,
                seq=seq,
                level=level,
                message=message,
                data=data,
                timestamp=now,
            )
            try:
                self._log_coll.insert_one(to_doc(line))
            except Conflict:
                continue  # another writer took this seq; read the new last line
            return line
        raise Conflict(f"could not append a log line to job {job_id}")

    def read_logs(self, job_id: str, page: int = 1, limit: int = 100) -> Page[JobLog]:
        page, limit = max(page, 1), max(limit, 1)
        items = self._log_coll.find_as(
            {"job_id": job_id}, JobLog, [("seq", 1)], (page - 1) * limit, limit
        )
        return Page(
            items=items, total=self._log_coll.count({"job_id": job_id}), page=page, limit=limit
        )
