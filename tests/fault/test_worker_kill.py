"""Worker processes sharing the SQLite queue: a ``kill -9`` in the middle of a job, and
two processes draining 200 jobs (DOMAIN.md §17.3)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conman_adapters.store import INDEXES, SqliteStore
from conman_adapters.store.repositories import StoreJobQueue
from conman_adapters.system import SystemIds
from conman_domain.model import Job, JobState, JobType

WORKER = Path(__file__).with_name("worker_proc.py")
IDS = SystemIds()


def new_job(**payload: object) -> Job:
    now = datetime.now(UTC)
    return Job(
        id=IDS.new_id(),
        created_at=now,
        updated_at=now,
        job_type=JobType.MSUITE_SUBMIT,
        payload=dict(payload),
        max_attempts=3,
        timeout_ms=120_000,
        run_after=now,
    )


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


class Workers:
    def __init__(self, db: Path, effects: Path) -> None:
        self.db = db
        self.effects = effects
        self.procs: list[subprocess.Popen[str]] = []

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, str(WORKER), str(self.db), str(self.effects), *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.procs.append(proc)
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("ready ")
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[StoreJobQueue, Workers]]:
    db = tmp_path / "conman.db"
    store = SqliteStore(db)
    store.ensure_indexes(INDEXES)
    workers = Workers(db, tmp_path / "effects")
    try:
        yield StoreJobQueue(store), workers
    finally:
        workers.stop_all()
        store.close()


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_a_job_of_a_killed_worker_is_reclaimed_after_its_lease_and_applied_once(
    setup: tuple[StoreJobQueue, Workers],
) -> None:
    queue, workers = setup
    job = queue.enqueue(new_job(first_attempt_sleep=60))
    victim = workers.spawn("--lease", "1.5")
    wait_until(lambda: f"{job.id}.1" in names(workers.effects / "started"))
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    held = queue.get(job.id)
    assert held.state == JobState.RUNNING
    assert held.attempts == 1
    assert names(workers.effects / "effects") == []

    workers.spawn("--lease", "1.5")
    wait_until(lambda: queue.get(job.id).state == JobState.SUCCEEDED)
    done = queue.get(job.id)
    assert done.attempts == 2
    assert done.worker_id != held.worker_id
    assert done.result is not None and done.result["applied"] is True
    assert names(workers.effects / "started") == [f"{job.id}.1", f"{job.id}.2"]
    assert names(workers.effects / "effects") == [job.id]
    assert names(workers.effects / "duplicates") == []


def test_two_worker_processes_drain_200_jobs_each_applied_exactly_once(
    setup: tuple[StoreJobQueue, Workers],
) -> None:
    queue, workers = setup
    jobs = [queue.enqueue(new_job()) for _ in range(200)]
    workers.spawn("--concurrency", "4")
    workers.spawn("--concurrency", "4")

    def drained() -> bool:
        return queue.list({"state": JobState.SUCCEEDED.value}, limit=1).total == len(jobs)

    wait_until(drained, timeout=120)
    workers.stop_all()
    assert names(workers.effects / "effects") == sorted(job.id for job in jobs)
    assert names(workers.effects / "duplicates") == []
    started = names(workers.effects / "started")
    assert started == sorted(f"{job.id}.1" for job in jobs)
    attempts = {queue.get(job.id).attempts for job in jobs}
    assert attempts == {1}


def process_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_command_of_a_killed_worker_is_killed_when_its_time_is_up(
    setup: tuple[StoreJobQueue, Workers], tmp_path: Path
) -> None:
    queue, workers = setup
    pid_file = tmp_path / "command.pid"
    command = f"sleep 120 & echo $$ $! > {pid_file}.tmp; mv {pid_file}.tmp {pid_file}; wait"
    queue.enqueue(new_job(command=command, command_timeout=1.0))
    victim = workers.spawn()
    wait_until(pid_file.exists)
    pids = [int(pid) for pid in pid_file.read_text().split()]
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert all(process_alive(pid) for pid in pids)  # the worker is gone, its command is not
    wait_until(lambda: not any(process_alive(pid) for pid in pids), timeout=30)
