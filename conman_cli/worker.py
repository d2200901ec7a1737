"""``conman worker``: job runners only (today: the runner heartbeat)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from types import FrameType

import click

from conman_adapters.container import build_container
from conman_cli.common import emit, handle_errors, json_option, load_config
from conman_domain.errors import ConmanError
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.health import RunnerHeartbeatPort
from conman_http.logs import configure_logging

__all__ = ["HEARTBEAT_INTERVAL_S", "HeartbeatLoop", "worker"]

HEARTBEAT_INTERVAL_S = 10.0
_log = logging.getLogger("conman.worker")


class HeartbeatLoop:
    """Writes ``job_runner_heartbeats`` every ``interval`` seconds until stopped."""

    def __init__(
        self,
        *,
        heartbeats: RunnerHeartbeatPort,
        clock: ClockPort,
        runner_id: str,
        interval: float = HEARTBEAT_INTERVAL_S,
    ) -> None:
        self._heartbeats = heartbeats
        self._clock = clock
        self._runner_id = runner_id
        self._interval = interval
        self.beats = 0

    def run(self, stop: threading.Event) -> None:
        """Beat at once, then every interval; returns soon after ``stop`` is set.

        A failed write (store down) is logged and retried at the next beat: the
        worker keeps running so that it recovers with the store.
        """
        host, pid = socket.gethostname(), os.getpid()
        while not stop.is_set():
            try:
                self._heartbeats.beat(self._runner_id, host, pid, self._clock.now())
                self.beats += 1
            except ConmanError as exc:
                _log.warning("heartbeat failed: %s", exc.message, extra={"code": exc.code})
            stop.wait(self._interval)


@click.command(
    help=(
        "Run job runners only (scale them independently of the API). The job runner "
        "engine lands in a later issue: for now the worker connects to the store and "
        "writes a runner heartbeat every 10 s until SIGINT/SIGTERM."
    )
)
@click.option(
    "--job-concurrency",
    type=click.IntRange(1, 256),
    help="Jobs run in parallel (CONMAN_JOB_CONCURRENCY, default 4).",
)
@json_option
@handle_errors
def worker(job_concurrency: int | None, as_json: bool) -> None:
    configure_logging()
    overrides = {} if job_concurrency is None else {"CONMAN_JOB_CONCURRENCY": str(job_concurrency)}
    settings, _ = load_config(overrides)
    container = build_container(settings)
    store = container.store()
    store.ping()  # fail fast: ServiceUnavailable → exit 5
    container.repositories()  # ensure indexes
    runner_id = container.ids().new_id()
    loop = HeartbeatLoop(
        heartbeats=container.heartbeats(), clock=container.clock(), runner_id=runner_id
    )
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        _log.info("stopping on signal %s", signum)
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    emit(
        as_json,
        {"runner_id": runner_id, "concurrency": settings.job_concurrency},
        f"worker {runner_id} started (heartbeat every {HEARTBEAT_INTERVAL_S:.0f}s)",
    )
    try:
        loop.run(stop)
    finally:
        store.close()
