"""What a job handler sees while it runs (DOMAIN.md §17)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Literal

import msgspec

from conman_domain.errors import ConmanError, Internal
from conman_domain.model import Job, LogLevel
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.jobs import JobQueuePort, RunningJobPort
from conman_domain.ports.runner import CommandEnv, CommandResult, CommandRunnerPort, Materializer

__all__ = ["JobContext", "JobHandler", "StopReason"]

logger = logging.getLogger("conman.jobs")

StopReason = Literal["canceled", "timeout", "lease_lost"]


class JobContext(RunningJobPort):
    """The running job, its log, its stop signals and the command runner.

    A handler must be idempotent: it may run again after a crash, a timeout or a lost
    lease, and a second run must not duplicate side effects. Long handlers check
    ``should_stop()`` between steps; commands started through ``run_command`` are
    killed as soon as the job must stop.
    """

    def __init__(
        self,
        job: Job,
        queue: JobQueuePort,
        clock: ClockPort,
        command_runner: CommandRunnerPort | None,
        deadline: float,
    ) -> None:
        self.job = job
        self._queue = queue
        self._clock = clock
        self._command_runner = command_runner
        self._deadline = deadline
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reason: StopReason | None = None

    def log(self, level: str, message: str, data: dict[str, Any] | None = None) -> None:
        """Append a structured line (``info``, ``warn`` or ``error``) to the job's log
        at once. A failed write is reported to the process log and never fails the job.
        Never pass secret values."""
        parsed = LogLevel(level)
        try:
            self._queue.append_log(self.job.id, parsed, message, self._clock.now(), data)
        except ConmanError as exc:
            logger.warning("job %s: log write failed: %s", self.job.id, exc.message)

    def is_cancel_requested(self) -> bool:
        """True once a cancel of this running job has been observed."""
        return self._reason == "canceled"

    def should_stop(self) -> bool:
        """True once the job was canceled, timed out, or its lease was lost."""
        return self._stop.is_set()

    @property
    def stop_reason(self) -> StopReason | None:
        return self._reason

    def remaining_seconds(self) -> float:
        """Seconds left before the job's own timeout."""
        return max(0.0, self._deadline - self._clock.monotonic())

    def request_stop(self, reason: StopReason) -> bool:
        """Ask the handler to stop; the first reason wins. True when newly stopped."""
        with self._lock:
            if self._reason is not None:
                return False
            self._reason = reason
        self._stop.set()
        return True

    def wait_for_stop(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, waking early when the job must stop."""
        return self._stop.wait(seconds)

    @property
    def command_runner(self) -> CommandRunnerPort:
        if self._command_runner is None:
            raise Internal("this job runner has no command runner")
        return self._command_runner

    def run_command(
        self,
        command: str,
        *,
        materialize: Materializer,
        env: CommandEnv,
        timeout_seconds: float,
    ) -> CommandResult:
        """Run a command for this job: output goes to the job log (masked), the
        ``CONMAN_JOB_*``/app/entity metadata is filled from the job, and the command is
        killed when the job must stop. The command keeps its own timeout."""
        job = self.job
        metadata = msgspec.structs.replace(
            env.metadata,
            job_id=job.id,
            job_type=str(job.job_type),
            app_id=env.metadata.app_id or (job.app_id or ""),
            entity_type=env.metadata.entity_type or (job.entity_type or ""),
            entity_id=env.metadata.entity_id or (job.entity_id or ""),
        )
        return self.command_runner.run(
            command,
            materialize=materialize,
            env=msgspec.structs.replace(env, metadata=metadata),
            timeout_seconds=timeout_seconds,
            log=self.log,
            should_cancel=self.should_stop,
        )


JobHandler = Callable[[JobContext], dict[str, Any]]
"""Runs one job and returns its ``result`` (ids, shas, gate results; never secrets).

Raise a domain error for a final failure (``Conflict``, ``Validation``...), or let an
infrastructure error (``GitUnavailable``, ``ServiceUnavailable``) or any other
exception through: those are retried while attempts remain."""
