"""A ``conman worker``-like process for the fault tests: a ``JobRunner`` over the SQLite
queue whose handler leaves an idempotent, observable side effect per job.

Usage: ``python worker_proc.py DB_PATH EFFECTS_DIR [--concurrency N] [--lease S]``.
The handler (type ``msuite_submit``):

1. records the execution as ``EFFECTS_DIR/started/<job_id>.<attempt>``;
2. sleeps ``payload["first_attempt_sleep"]`` seconds on attempt 1 (a window to kill us),
   or runs ``payload["command"]`` in the sandbox with ``payload["command_timeout"]``;
3. applies the side effect by creating ``EFFECTS_DIR/effects/<job_id>`` with O_EXCL.
   A second application finds the file (idempotent: nothing changes) and leaves
   evidence in ``EFFECTS_DIR/duplicates/`` so the test can see it happened.

SIGTERM/SIGINT stop claiming and let running jobs finish.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from conman_adapters.jobs import JobContext, JobRunner
from conman_adapters.runner import SubprocessRunner
from conman_adapters.store import INDEXES, SqliteStore
from conman_adapters.store.repositories import StoreJobQueue, StoreRunnerHeartbeats
from conman_adapters.system import SystemClock
from conman_domain.ports.runner import CommandEnv

JOB_TYPE = "msuite_submit"


def make_handler(effects: Path) -> Any:
    for sub in ("started", "effects", "duplicates"):
        (effects / sub).mkdir(parents=True, exist_ok=True)

    def handler(ctx: JobContext) -> dict[str, Any]:
        job = ctx.job
        (effects / "started" / f"{job.id}.{job.attempts}").write_text(str(os.getpid()))
        if job.attempts == 1:
            ctx.wait_for_stop(float(job.payload.get("first_attempt_sleep", 0)))
        if "command" in job.payload:
            ctx.run_command(
                str(job.payload["command"]),
                materialize=lambda dest: None,
                env=CommandEnv(),
                timeout_seconds=float(job.payload["command_timeout"]),
            )
        try:
            fd = os.open(effects / "effects" / job.id, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            marker = effects / "duplicates" / f"{job.id}.{os.getpid()}.{time.monotonic_ns()}"
            marker.write_text("")
            return {"applied": False}
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        return {"applied": True, "pid": os.getpid()}

    return handler


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("effects")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--lease", type=float, default=60.0)
    args = parser.parse_args(argv)
    store = SqliteStore(args.db)
    store.ensure_indexes(INDEXES)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runner = JobRunner(
        StoreJobQueue(store),
        {JOB_TYPE: make_handler(Path(args.effects))},
        SystemClock(),
        concurrency=args.concurrency,
        poll_interval=0.02,
        lease=args.lease,
        heartbeats=StoreRunnerHeartbeats(store),
        cancel_poll_interval=0.2,
        heartbeat_interval=1.0,
        command_runner=SubprocessRunner(kill_grace_seconds=0.5),
    )
    print(f"ready {runner.runner_id}", flush=True)
    runner.run_until(stop, drain_timeout=10)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
