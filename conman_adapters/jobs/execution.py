"""One claimed job while it runs: the handler call, its supervision and its outcome."""

from __future__ import annotations

import logging
import threading
from typing import Any

from conman_adapters.jobs.context import JobContext, JobHandler, StopReason
from conman_adapters.jobs.policy import describe_error, is_retryable
from conman_adapters.metrics import ConmanMetrics
from conman_domain.errors import ConmanError, GateFailed
from conman_domain.model import Job, JobState
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.jobs import JobQueuePort

__all__ = ["Execution"]

logger = logging.getLogger("conman.jobs")

NO_WORKER = "no worker for job type"


class Execution:
    """A claim held by ``worker_id`` (unique per claim): runs the handler, keeps the lease,
    watches for cancel and timeout, and records exactly one outcome."""

    def __init__(
        self,
        job: Job,
        worker_id: str,
        *,
        queue: JobQueuePort,
        clock: ClockPort,
        context: JobContext,
        metrics: ConmanMetrics,
        lease: float,
        heartbeat_every: float,
        cancel_poll_every: float,
        timeout: float,
        stop_grace: float,
    ) -> None:
        self.job = job
        self.worker_id = worker_id
        self.context = context
        self._queue = queue
        self._clock = clock
        self._metrics = metrics
        self._lease = lease
        self._heartbeat_every = heartbeat_every
        self._cancel_poll_every = cancel_poll_every
        self._timeout = timeout
        self._stop_grace = stop_grace
        self._started = clock.monotonic()
        self._deadline = self._started + timeout
        self._next_beat = self._started + heartbeat_every
        self._next_poll = self._started + cancel_poll_every
        self._stopped_at: float | None = None
        self._lock = threading.Lock()
        self._recorded = False

    # -- the job thread -------------------------------------------------------------

    def run(self, handler: JobHandler | None) -> None:
        """Call the handler and record its outcome (unless supervision already did)."""
        job = self.job
        self.context.log("info", f"attempt {job.attempts} of {job.max_attempts} started")
        if handler is None:
            self._record(error=NO_WORKER, retryable=False)
            return
        try:
            result = handler(self.context)
            if not isinstance(result, dict):
                raise TypeError("job handler must return a dict")
        except Exception as exc:
            # A failed gate keeps its result on the failed job (DOMAIN.md §11.4).
            kept = exc.result if isinstance(exc, GateFailed) else None
            self._record(error=describe_error(exc), retryable=is_retryable(exc), result=kept)
            return
        self._record(result=result)

    # -- supervision, called periodically from the keeper thread -------------------

    def supervise(self) -> bool:
        """Renew the lease, poll cancel, enforce the timeout. True while still active."""
        now = self._clock.monotonic()
        if self._stopped_at is None and now >= self._deadline:
            self._stop("timeout", now)
        # The lease is renewed during a stop too, until the outcome is recorded.
        if self.context.stop_reason != "lease_lost" and now >= self._next_beat:
            self._next_beat = now + self._heartbeat_every
            held = self._queue.heartbeat(
                self.job.id, self.worker_id, self._clock.now(), self._lease
            )
            if not held:
                self._check_ownership(now)
        if self._stopped_at is None and now >= self._next_poll:
            self._next_poll = now + self._cancel_poll_every
            self._check_ownership(now)
        if self._stopped_at is not None and now >= self._stopped_at + self._stop_grace:
            # The handler ignores the stop signal: record the outcome without it.
            self._record()
        return not self._recorded

    def _check_ownership(self, now: float) -> None:
        """Stop for a requested cancel, or when another claim owns the job now."""
        current = self._queue.get(self.job.id)
        held = current.state == JobState.RUNNING and current.worker_id == self.worker_id
        if held and current.cancel_requested:
            self._stop("canceled", now)
        elif not held:
            self._stop("lease_lost", now)

    def _stop(self, reason: StopReason, now: float) -> None:
        if self.context.request_stop(reason):
            self._stopped_at = now
            if reason != "lease_lost":
                self.context.log("warn", f"stopping: {reason}")

    # -- the outcome ------------------------------------------------------------------

    def _record(
        self,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        retryable: bool = False,
    ) -> None:
        with self._lock:
            if self._recorded:
                return
            self._recorded = True
        try:
            outcome = self._write_outcome(result, error, retryable)
        except ConmanError as exc:
            # The lease will expire and another claim retries the job.
            logger.warning("job %s: outcome not recorded: %s", self.job.id, exc.message)
            outcome = "store_error"
        job_type = str(self.job.job_type)
        self._metrics.jobs_completed.labels(type=job_type, outcome=outcome).inc()
        elapsed = self._clock.monotonic() - self._started
        self._metrics.job_duration.labels(type=job_type).observe(elapsed)

    def _write_outcome(
        self, result: dict[str, Any] | None, error: str | None, retryable: bool
    ) -> str:
        job, now, reason = self.job, self._clock.now(), self.context.stop_reason
        if reason == "lease_lost":
            return "lease_lost"
        if reason == "canceled":
            if not self._queue.finish_canceled(job.id, self.worker_id, now):
                return "lease_lost"
            self.context.log("warn", "canceled")
            return "canceled"
        if reason == "timeout":
            error, retryable = "timeout", True
        if error is None:
            if not self._queue.complete(job.id, self.worker_id, result or {}, now):
                return "lease_lost"
            self.context.log("info", "succeeded")
            return "succeeded"
        self.context.log("error", error)
        after = self._queue.fail(job.id, self.worker_id, error, now, retryable, result=result)
        if after is None:
            return "lease_lost"
        if after.state == JobState.QUEUED:
            self.context.log("info", f"retry scheduled at {after.run_after.isoformat()}")
            return "retried"
        return "failed"
