"""``JobQueuePort``: the job queue backed by the shared store (DOMAIN.md §17).

Any number of runners in any number of processes share one queue; every transition
is an atomic conditional write, so no job is ever held by two workers at once.
An unreachable store raises ``ServiceUnavailable`` from every method.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from conman_domain.model import Job, JobLog, LogLevel
from conman_domain.ports.repos import Page, Sort, Where
from conman_domain.ports.runner import CommandEnv, CommandResult, Materializer

__all__ = ["JobQueuePort", "RunningJobPort", "backoff_seconds"]


def backoff_seconds(attempts: int) -> float:
    """Delay before attempt ``attempts + 1``: 5 s * 2^(attempts-1), at most 5 min (§17.4)."""
    return float(min(5 * 2 ** max(attempts - 1, 0), 300))


class JobQueuePort(Protocol):
    """Enqueue, claim with lease, heartbeat, finish, cancel, list and log jobs."""

    def enqueue(self, job: Job) -> Job:
        """Insert ``job`` as queued (``attempts = 0``). Duplicate id → ``Conflict``."""
        ...

    def claim(
        self, worker_id: str, now: datetime, lease_s: float, job_types: Sequence[str] | None = None
    ) -> Job | None:
        """Atomically take the oldest claimable job, or return ``None``.

        Claimable: queued with ``run_after <= now``, or running with an expired lease
        (``locked_until < now``). The job becomes running with ``attempts + 1``,
        ``locked_until = now + lease_s``, ``worker_id`` set and ``started_at`` set on the
        first claim. An expired job with no attempts left is failed ("lease expired")
        instead of claimed. Two concurrent callers never receive the same job.
        """
        ...

    def heartbeat(self, job_id: str, worker_id: str, now: datetime, lease_s: float) -> bool:
        """Extend the lease to ``now + lease_s``. ``False`` when the worker no longer holds
        the job (re-claimed, canceled, finished): the worker must stop."""
        ...

    def complete(self, job_id: str, worker_id: str, result: dict[str, Any], now: datetime) -> bool:
        """running → succeeded with ``result`` and ``completed_at``. ``False`` when the
        worker no longer holds the job (nothing is written)."""
        ...

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
        """End the attempt with ``error_message = error``.

        Retryable with attempts left → queued again with ``run_after = now + backoff``;
        otherwise → failed with ``completed_at`` and, when given, ``result`` (a failed
        gate keeps its result). ``None`` when the worker no longer holds the job.
        """
        ...

    def cancel(self, job_id: str, now: datetime) -> Job:
        """queued → canceled at once; running → ``cancel_requested = true`` (the worker
        ends it with ``finish_canceled``). Other states → ``InvalidTransition``; missing →
        ``NotFound``."""
        ...

    def finish_canceled(self, job_id: str, worker_id: str, now: datetime) -> bool:
        """running → canceled (the worker honoured ``cancel_requested``); ``False`` when it
        no longer holds the job."""
        ...

    def get(self, job_id: str) -> Job:
        """The job; ``NotFound`` when missing."""
        ...

    def list(
        self, where: Where, sort: Sort = (("created_at", -1),), page: int = 1, limit: int = 20
    ) -> Page[Job]:
        """One page of matching jobs with the total (ties by id descending)."""
        ...

    def append_log(
        self,
        job_id: str,
        level: LogLevel,
        message: str,
        now: datetime,
        data: dict[str, Any] | None = None,
    ) -> JobLog:
        """Append a log line with the next per-job ``seq`` (concurrent writers get
        distinct seqs)."""
        ...

    def read_logs(self, job_id: str, page: int = 1, limit: int = 100) -> Page[JobLog]:
        """Log lines of the job in ``seq`` order with the total count."""
        ...


class RunningJobPort(Protocol):
    """What a job handler sees of its running job (the runner's ``JobContext``)."""

    job: Job
    """The claimed job (payload, entity, attempts)."""

    def log(self, level: str, message: str, data: dict[str, Any] | None = None) -> None:
        """Append a log line (``info``, ``warn``, ``error``) at once; never fails the job.
        Never pass secret values."""
        ...

    def should_stop(self) -> bool:
        """True once the job was canceled, timed out, or its lease was lost."""
        ...

    def run_command(
        self,
        command: str,
        *,
        materialize: Materializer,
        env: CommandEnv,
        timeout_seconds: float,
    ) -> CommandResult:
        """Run a command in the sandbox for this job: masked output goes to the job log,
        the job metadata fills ``CONMAN_JOB_*``, and the command is killed when the job
        must stop."""
        ...
