"""``JobRunner``: claims jobs from the shared queue and runs them on a pool of threads."""

from __future__ import annotations

import itertools
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Mapping

from conman_adapters.jobs.context import JobContext, JobHandler
from conman_adapters.jobs.execution import Execution
from conman_adapters.jobs.policy import timeout_for
from conman_adapters.metrics import ConmanMetrics
from conman_domain.errors import ConmanError
from conman_domain.model import Job, JobState, JobType
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.health import RunnerHeartbeatPort
from conman_domain.ports.jobs import JobQueuePort
from conman_domain.ports.runner import CommandRunnerPort

__all__ = ["JobRunner"]

logger = logging.getLogger("conman.jobs")


class JobRunner:
    """Up to ``concurrency`` jobs at once; any number of runners may share the queue.

    The poll thread claims while work exists and slots are free, then sleeps
    ``poll_interval`` seconds; each poll also calls ``on_poll`` (the mail outbox drain).
    The keeper thread renews each lease every ``lease``/3, polls cancel every
    ``cancel_poll_interval`` and enforces per-type ``timeouts`` (seconds). The runner
    heartbeat document and the queue-depth gauge are refreshed every
    ``heartbeat_interval``. A handler that ignores a stop signal for ``stop_grace``
    seconds is abandoned: its outcome is recorded without it and its slot stays busy
    until it returns.
    """

    def __init__(
        self,
        queue: JobQueuePort,
        handlers: Mapping[str, JobHandler],
        clock: ClockPort,
        *,
        concurrency: int = 4,
        poll_interval: float = 1.0,
        lease: float = 60.0,
        runner_id: str | None = None,
        heartbeats: RunnerHeartbeatPort | None = None,
        timeouts: Mapping[str, float] | None = None,
        command_runner: CommandRunnerPort | None = None,
        metrics: ConmanMetrics | None = None,
        heartbeat_interval: float = 10.0,
        cancel_poll_interval: float = 1.0,
        stop_grace: float = 10.0,
        on_poll: Callable[[], None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.runner_id = runner_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.metrics = metrics if metrics is not None else ConmanMetrics()
        self._queue = queue
        self._handlers = dict(handlers)
        self._clock = clock
        self._concurrency = concurrency
        self._poll_interval = poll_interval
        self._lease = lease
        self._heartbeats = heartbeats
        self._timeouts = dict(timeouts or {})
        self._command_runner = command_runner
        self._heartbeat_interval = heartbeat_interval
        self._cancel_poll_interval = cancel_poll_interval
        self._stop_grace = stop_grace
        self._on_poll = on_poll
        self._claims = itertools.count(1)
        self._lock = threading.Lock()
        self._active: dict[str, Execution] = {}
        self._busy = 0
        self._idle = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._keeper_exit = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        """Start the poll and keeper threads (daemons)."""
        for target, name in ((self._poll_loop, "poll"), (self._keeper_loop, "keeper")):
            thread = threading.Thread(target=target, name=f"conman-jobs-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float | None = None) -> bool:
        """Stop claiming and wait up to ``timeout`` seconds for running jobs to end.
        True when every job finished; unfinished leases simply expire."""
        self._stopping.set()
        self._wake.set()
        with self._idle:
            finished = self._idle.wait_for(lambda: self._busy == 0, timeout)
        # Leases of jobs still running are no longer renewed: they expire normally.
        self._keeper_exit.set()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        return finished

    def run_until(self, stop: threading.Event, drain_timeout: float | None = None) -> None:
        """Run until ``stop`` is set (``conman worker``, ``conman serve``)."""
        self.start()
        stop.wait()
        self.stop(drain_timeout)

    @property
    def active_jobs(self) -> list[str]:
        with self._lock:
            return sorted(self._active)

    # -- the poll thread --------------------------------------------------------------

    def _poll_loop(self) -> None:
        next_beat = self._clock.monotonic()
        while not self._stopping.is_set():
            if self._clock.monotonic() >= next_beat:
                next_beat = self._clock.monotonic() + self._heartbeat_interval
                self._guarded("runner heartbeat", self._beat)
            if self._on_poll is not None:
                self._guarded("poll hook", self._on_poll)
            self._guarded("claim", self._claim_while_work)
            self._wake.wait(self._poll_interval)
            self._wake.clear()

    def _guarded(self, what: str, action: Callable[[], None]) -> None:
        """Store and git outages must not kill the loop: report and try next poll."""
        try:
            action()
        except ConmanError as exc:
            logger.warning("job runner %s: %s failed: %s", self.runner_id, what, exc.message)
        except Exception:
            # A bug in a hook must not stop the runner; it is reported with its traceback.
            logger.exception("job runner %s: %s failed", self.runner_id, what)

    def _beat(self) -> None:
        if self._heartbeats is not None:
            self._heartbeats.beat(
                self.runner_id, socket.gethostname(), os.getpid(), self._clock.now()
            )
        for job_type in JobType:
            page = self._queue.list(
                {"state": JobState.QUEUED.value, "job_type": job_type.value}, limit=1
            )
            self.metrics.job_queue_depth.labels(type=job_type.value).set(page.total)

    def _claim_while_work(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                if self._busy >= self._concurrency:
                    return
            worker_id = f"{self.runner_id}/{next(self._claims)}"
            job = self._queue.claim(worker_id, self._clock.now(), self._lease)
            if job is None:
                return
            self._launch(job, worker_id)

    def _launch(self, job: Job, worker_id: str) -> None:
        timeout = timeout_for(job, self._timeouts)
        context = JobContext(
            job, self._queue, self._clock, self._command_runner, self._clock.monotonic() + timeout
        )
        execution = Execution(
            job,
            worker_id,
            queue=self._queue,
            clock=self._clock,
            context=context,
            metrics=self.metrics,
            lease=self._lease,
            heartbeat_every=self._lease / 3,
            cancel_poll_every=self._cancel_poll_interval,
            timeout=timeout,
            stop_grace=self._stop_grace,
        )
        with self._lock:
            self._busy += 1
            self._active[job.id] = execution
        thread = threading.Thread(
            target=self._run_job,
            args=(execution,),
            name=f"conman-job-{job.id}",
            daemon=True,
        )
        thread.start()

    def _run_job(self, execution: Execution) -> None:
        try:
            execution.run(self._handlers.get(str(execution.job.job_type)))
        finally:
            with self._idle:
                self._busy -= 1
                if self._active.get(execution.job.id) is execution:
                    del self._active[execution.job.id]
                self._idle.notify_all()
            self._wake.set()

    # -- the keeper thread ------------------------------------------------------------

    def _keeper_loop(self) -> None:
        tick = min(self._lease / 3, self._cancel_poll_interval, self._poll_interval) / 2
        while True:
            with self._lock:
                executions = list(self._active.values())
            for execution in executions:
                try:
                    still_active = execution.supervise()
                except ConmanError as exc:
                    logger.warning("job %s: supervision failed: %s", execution.job.id, exc.message)
                    continue
                except Exception:
                    # Keep renewing the other leases; this one is retried next tick.
                    logger.exception("job %s: supervision failed", execution.job.id)
                    continue
                if not still_active:
                    with self._lock:
                        if self._active.get(execution.job.id) is execution:
                            del self._active[execution.job.id]
            if self._keeper_exit.wait(tick):
                return
