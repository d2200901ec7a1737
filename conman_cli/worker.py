"""``conman worker``: a job runner without the API (API.md §16; DOMAIN.md §17)."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click

from conman_adapters.container import build_container
from conman_cli.common import emit, handle_errors, json_option, load_config
from conman_http.logs import configure_logging

__all__ = ["DRAIN_TIMEOUT_S", "worker"]

DRAIN_TIMEOUT_S = 10.0
"""On SIGINT/SIGTERM, running jobs get this long to finish; the leases of the others
expire and another runner re-claims them."""

_log = logging.getLogger("conman.worker")


@click.command(
    help=(
        "Run a job runner only (scale it independently of the API) until SIGINT/SIGTERM. "
        "It claims jobs from the shared store, drains the mail outbox on every poll and "
        "writes a runner heartbeat every 10 s."
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
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        _log.info("stopping on signal %s", signum)
        stop.set()

    # Installed first: a signal during start-up still ends the worker gracefully.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    overrides = {} if job_concurrency is None else {"CONMAN_JOB_CONCURRENCY": str(job_concurrency)}
    settings, _ = load_config(overrides)
    container = build_container(settings)
    store = container.store()
    store.ping()  # fail fast: ServiceUnavailable → exit 5
    container.repositories()  # ensure indexes
    runner = container.job_runner()
    emit(
        as_json,
        {"runner_id": runner.runner_id, "concurrency": settings.job_concurrency},
        f"worker {runner.runner_id} started ({settings.job_concurrency} concurrent jobs)",
    )
    try:
        runner.run_until(stop, DRAIN_TIMEOUT_S)
    finally:
        store.close()
