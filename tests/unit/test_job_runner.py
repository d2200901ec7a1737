"""``JobRunner`` (DOMAIN.md §17) over the store-backed queue: claim, lease, retries,
timeouts, cancel, logs, heartbeats and metrics."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conman_adapters.jobs import NO_WORKER, JobContext, JobHandler, JobRunner
from conman_adapters.metrics import ConmanMetrics
from conman_adapters.runner import SubprocessRunner
from conman_adapters.store import INDEXES, MemoryStore, SqliteStore
from conman_adapters.store.base import DocumentStore
from conman_adapters.store.repositories import StoreJobQueue, StoreRunnerHeartbeats
from conman_adapters.system import SystemIds
from conman_domain.errors import Conflict, GitUnavailable, ServiceUnavailable
from conman_domain.model import Job, JobState, JobType
from conman_domain.ports.runner import CommandEnv

_IDS = SystemIds()


class ShiftClock:
    """Real time plus an offset, so a test can jump over a retry backoff."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def monotonic(self) -> float:
        return time.monotonic()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += timedelta(seconds=seconds)


def make_store(kind: str, directory: Path) -> DocumentStore:
    store: DocumentStore = (
        MemoryStore() if kind == "memory" else SqliteStore(directory / "conman.db")
    )
    store.ensure_indexes(INDEXES)
    return store


def new_job(
    job_type: str = JobType.MSUITE_SUBMIT,
    *,
    max_attempts: int = 1,
    timeout_ms: int = 60_000,
    payload: dict[str, object] | None = None,
    run_after: datetime | None = None,
) -> Job:
    now = datetime.now(UTC)
    return Job(
        id=_IDS.new_id(),
        created_at=now,
        updated_at=now,
        app_id="a" * 24,
        job_type=JobType(job_type),
        entity_type="changeset",
        entity_id="c" * 24,
        payload=dict(payload or {}),
        max_attempts=max_attempts,
        timeout_ms=timeout_ms,
        run_after=run_after or now,
    )


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll ``predicate`` until true; fail the test when it never becomes true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def job_queue(store: DocumentStore) -> StoreJobQueue:
    return StoreJobQueue(store)


def log_lines(queue: StoreJobQueue, job_id: str) -> list[str]:
    return [f"{line.level}: {line.message}" for line in queue.read_logs(job_id, limit=1000).items]


def process_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Harness:
    """A queue over one store, a shiftable clock and the runners started by a test."""

    def __init__(self, store: DocumentStore) -> None:
        self.store = store
        self.queue = StoreJobQueue(store)
        self.heartbeats = StoreRunnerHeartbeats(store)
        self.clock = ShiftClock()
        self.runners: list[JobRunner] = []

    def start(self, handlers: dict[str, JobHandler], **options: Any) -> JobRunner:
        settings: dict[str, Any] = {
            "concurrency": 2,
            "poll_interval": 0.02,
            "lease": 3.0,
            "cancel_poll_interval": 0.05,
            "heartbeat_interval": 0.1,
            "stop_grace": 5.0,
            "heartbeats": self.heartbeats,
        }
        settings.update(options)
        queue = settings.pop("queue", self.queue)
        runner = JobRunner(queue, handlers, self.clock, **settings)
        runner.start()
        self.runners.append(runner)
        return runner

    def enqueue(self, job: Job) -> Job:
        return self.queue.enqueue(job)

    def state(self, job_id: str) -> JobState:
        return self.queue.get(job_id).state

    def wait_state(self, job_id: str, *states: JobState) -> Job:
        wait_until(lambda: self.state(job_id) in states)
        return self.queue.get(job_id)

    def close(self) -> None:
        for runner in self.runners:
            runner.stop(timeout=10)


@pytest.fixture(params=["memory", "sqlite"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    h = Harness(make_store(request.param, tmp_path))
    try:
        yield h
    finally:
        h.close()


@pytest.fixture
def mem(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(make_store("memory", tmp_path))
    try:
        yield h
    finally:
        h.close()


SUBMIT = JobType.MSUITE_SUBMIT.value


def test_a_job_runs_once_and_succeeds_with_its_result(harness: Harness) -> None:
    calls: list[str] = []

    def handler(ctx: JobContext) -> dict[str, Any]:
        calls.append(ctx.job.id)
        ctx.log("info", "validating", {"sha": "abc"})
        return {"passed": True}

    job = harness.enqueue(new_job())
    harness.start({SUBMIT: handler})
    done = harness.wait_state(job.id, JobState.SUCCEEDED)
    assert calls == [job.id]
    assert done.result == {"passed": True}
    assert done.attempts == 1
    assert done.completed_at is not None
    assert done.started_at is not None
    logs = harness.queue.read_logs(job.id).items
    assert [line.seq for line in logs] == sorted(line.seq for line in logs)
    assert [f"{line.level}: {line.message}" for line in logs] == [
        "info: attempt 1 of 1 started",
        "info: validating",
        "info: succeeded",
    ]
    assert logs[1].data == {"sha": "abc"}


def test_a_job_type_without_handler_fails_without_retry(harness: Harness) -> None:
    job = harness.enqueue(new_job(JobType.TEMP_ENV_EXPIRE.value, max_attempts=3))
    harness.start({SUBMIT: lambda ctx: {}})
    failed = harness.wait_state(job.id, JobState.FAILED)
    assert failed.error_message == NO_WORKER == "no worker for job type"
    assert failed.attempts == 1


def test_a_domain_error_is_a_final_failure(mem: Harness) -> None:
    def handler(ctx: JobContext) -> dict[str, Any]:
        raise Conflict("composition conflict")

    job = mem.enqueue(new_job(max_attempts=3))
    mem.start({SUBMIT: handler})
    failed = mem.wait_state(job.id, JobState.FAILED)
    assert failed.error_message == "conflict: composition conflict"
    assert failed.attempts == 1
    assert "error: conflict: composition conflict" in (log_lines(mem.queue, job.id))


def test_infrastructure_errors_are_retried_with_backoff_until_attempts_run_out(
    mem: Harness,
) -> None:
    attempts: list[int] = []

    def handler(ctx: JobContext) -> dict[str, Any]:
        attempts.append(ctx.job.attempts)
        raise GitUnavailable("gitaly down")

    job = mem.enqueue(new_job(max_attempts=3))
    mem.start({SUBMIT: handler})
    wait_until(lambda: mem.queue.get(job.id).error_message is not None)
    first = mem.wait_state(job.id, JobState.QUEUED)
    assert first.attempts == 1
    assert first.error_message == "gitaly down"
    assert first.run_after - first.updated_at == timedelta(seconds=5)
    mem.clock.advance(6)
    wait_until(lambda: mem.queue.get(job.id).attempts == 2 and mem.state(job.id) == "queued")
    second = mem.queue.get(job.id)
    assert second.run_after - second.updated_at == timedelta(seconds=10)
    mem.clock.advance(11)
    final = mem.wait_state(job.id, JobState.FAILED)
    assert attempts == [1, 2, 3]
    assert final.attempts == 3
    assert final.error_message == "gitaly down"


def test_a_crash_is_retried_and_the_next_attempt_can_succeed(mem: Harness) -> None:
    def handler(ctx: JobContext) -> dict[str, Any]:
        if ctx.job.attempts == 1:
            raise RuntimeError("worker crashed")
        return {"attempt": ctx.job.attempts}

    job = mem.enqueue(new_job(max_attempts=2))
    mem.start({SUBMIT: handler})
    # The job starts out queued too: wait for the failed first attempt to requeue it.
    wait_until(lambda: mem.queue.get(job.id).attempts == 1 and mem.state(job.id) == JobState.QUEUED)
    queued = mem.queue.get(job.id)
    assert queued.error_message == "RuntimeError: worker crashed"
    mem.clock.advance(6)
    done = mem.wait_state(job.id, JobState.SUCCEEDED)
    assert done.result == {"attempt": 2}


def test_a_timeout_kills_the_command_group_and_fails_the_attempt(mem: Harness) -> None:
    pids: list[int] = []

    def handler(ctx: JobContext) -> dict[str, Any]:
        result = ctx.run_command(
            "sleep 60 & echo $!; sleep 60",
            materialize=lambda dest: None,
            env=CommandEnv(),
            timeout_seconds=60,
        )
        pids.extend(int(line.text) for line in result.output if line.text.isdigit())
        return {"exit_code": result.exit_code}

    job = mem.enqueue(new_job(max_attempts=1))
    runner = SubprocessRunner(kill_grace_seconds=0.3, poll_interval=0.02)
    mem.start({SUBMIT: handler}, timeouts={SUBMIT: 0.5}, command_runner=runner)
    failed = mem.wait_state(job.id, JobState.FAILED)
    assert failed.error_message == "timeout"
    wait_until(lambda: bool(pids))
    assert not process_alive(pids[0])
    assert "warn: stopping: timeout" in (log_lines(mem.queue, job.id))


def test_a_timed_out_job_with_attempts_left_is_queued_again(mem: Harness) -> None:
    def handler(ctx: JobContext) -> dict[str, Any]:
        ctx.wait_for_stop(30)
        return {}

    job = mem.enqueue(new_job(max_attempts=2))
    mem.start({SUBMIT: handler}, timeouts={SUBMIT: 0.2})
    wait_until(lambda: mem.queue.get(job.id).error_message is not None)
    queued = mem.wait_state(job.id, JobState.QUEUED)
    assert queued.error_message == "timeout"
    assert queued.attempts == 1


def test_a_handler_ignoring_the_timeout_is_abandoned_and_its_result_dropped(
    mem: Harness,
) -> None:
    release = threading.Event()
    finished = threading.Event()

    def handler(ctx: JobContext) -> dict[str, Any]:
        release.wait(30)
        finished.set()
        return {"late": True}

    job = mem.enqueue(new_job())
    runner = mem.start({SUBMIT: handler}, timeouts={SUBMIT: 0.1}, stop_grace=0.1)
    failed = mem.wait_state(job.id, JobState.FAILED)
    assert failed.error_message == "timeout"
    assert runner.active_jobs == []
    release.set()
    finished.wait(10)
    wait_until(lambda: runner.stop(timeout=5))
    assert mem.queue.get(job.id).state == JobState.FAILED
    assert mem.queue.get(job.id).result is None


def test_cancel_of_a_running_job_stops_it_and_ends_it_canceled(harness: Harness) -> None:
    running = threading.Event()
    observed: list[bool] = []

    def handler(ctx: JobContext) -> dict[str, Any]:
        running.set()
        while not ctx.wait_for_stop(0.01):
            pass
        observed.append(ctx.is_cancel_requested())
        return {"done": True}

    job = harness.enqueue(new_job(max_attempts=3))
    harness.start({SUBMIT: handler})
    assert running.wait(10)
    assert harness.queue.cancel(job.id, harness.clock.now()).cancel_requested
    canceled = harness.wait_state(job.id, JobState.CANCELED)
    assert observed == [True]
    assert canceled.result is None
    assert canceled.completed_at is not None
    assert "warn: canceled" in (log_lines(harness.queue, job.id))


def test_cancel_kills_a_running_command(mem: Harness) -> None:
    started = threading.Event()
    results: list[Any] = []

    def handler(ctx: JobContext) -> dict[str, Any]:
        started.set()
        results.append(
            ctx.run_command(
                "echo $$; sleep 60",
                materialize=lambda dest: None,
                env=CommandEnv(),
                timeout_seconds=60,
            )
        )
        return {}

    job = mem.enqueue(new_job())
    runner = SubprocessRunner(kill_grace_seconds=0.3, poll_interval=0.02)
    mem.start({SUBMIT: handler}, command_runner=runner)
    assert started.wait(10)
    wait_until(lambda: any("info: " in line for line in log_lines(mem.queue, job.id)[1:]))
    mem.queue.cancel(job.id, mem.clock.now())
    mem.wait_state(job.id, JobState.CANCELED)
    wait_until(lambda: bool(results))
    assert results[0].canceled
    assert not process_alive(int(results[0].output[0].text))


def test_a_job_whose_lease_was_taken_over_stops_without_writing(mem: Harness) -> None:
    running = threading.Event()
    stopped: list[str | None] = []

    def handler(ctx: JobContext) -> dict[str, Any]:
        running.set()
        ctx.wait_for_stop(30)
        stopped.append(ctx.stop_reason)
        return {"stale": True}

    job = mem.enqueue(new_job())
    mem.start({SUBMIT: handler})
    assert running.wait(10)
    # Another worker re-claimed the job after an (apparently) expired lease.
    mem.store.collection("jobs").update_one({"_id": job.id}, {"$set": {"worker_id": "other/1"}})
    wait_until(lambda: stopped == ["lease_lost"])
    wait_until(lambda: mem.runners[0].active_jobs == [])
    after = mem.queue.get(job.id)
    assert (after.state, after.worker_id, after.result) == (JobState.RUNNING, "other/1", None)


def test_the_lease_is_renewed_while_a_long_job_runs(harness: Harness) -> None:
    calls: list[int] = []

    def handler(ctx: JobContext) -> dict[str, Any]:
        calls.append(1)
        ctx.wait_for_stop(2.0)  # more than twice the lease
        return {}

    job = harness.enqueue(new_job(max_attempts=3))
    harness.start({SUBMIT: handler}, lease=0.8)
    harness.start({SUBMIT: handler}, lease=0.8)
    done = harness.wait_state(job.id, JobState.SUCCEEDED)
    assert calls == [1]
    assert done.attempts == 1


def test_concurrency_bounds_the_jobs_running_at_once(mem: Harness) -> None:
    lock = threading.Lock()
    running = [0]
    peak = [0]
    barrier = threading.Barrier(2, timeout=10)

    def handler(ctx: JobContext) -> dict[str, Any]:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        barrier.wait()  # two jobs must be able to run together
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return {}

    jobs = [mem.enqueue(new_job()) for _ in range(6)]
    mem.start({SUBMIT: handler}, concurrency=2)
    for job in jobs:
        mem.wait_state(job.id, JobState.SUCCEEDED)
    assert peak[0] == 2


def test_the_runner_writes_its_heartbeat_document(mem: Harness) -> None:
    assert mem.heartbeats.latest() is None
    runner = mem.start({})
    wait_until(lambda: mem.heartbeats.latest() is not None)
    doc = mem.store.collection("job_runner_heartbeats").find_one({"_id": runner.runner_id})
    assert doc is not None
    assert doc["pid"] > 0


def test_metrics_count_outcomes_durations_and_queue_depth(mem: Harness) -> None:
    metrics = ConmanMetrics()
    later = datetime.now(UTC) + timedelta(hours=1)
    for _ in range(2):
        mem.enqueue(new_job(JobType.RELEASE_ASSEMBLE.value, run_after=later))
    ok = mem.enqueue(new_job())
    bad = mem.enqueue(new_job(JobType.TEMP_ENV_CLEANUP.value))
    mem.start({SUBMIT: lambda ctx: {}}, metrics=metrics)
    mem.wait_state(ok.id, JobState.SUCCEEDED)
    mem.wait_state(bad.id, JobState.FAILED)

    def sample(name: str, labels: dict[str, str]) -> float | None:
        return metrics.registry.get_sample_value(name, labels)

    wait_until(lambda: sample("conman_job_queue_depth", {"type": "release_assemble"}) == 2.0)
    assert sample("conman_jobs_completed_total", {"type": SUBMIT, "outcome": "succeeded"}) == 1
    assert (
        sample("conman_jobs_completed_total", {"type": "temp_env_cleanup", "outcome": "failed"})
        == 1
    )
    assert sample("conman_job_duration_seconds_count", {"type": SUBMIT}) == 1
    # The gauge is refreshed every heartbeat interval; the submit job has left the queue.
    wait_until(lambda: sample("conman_job_queue_depth", {"type": SUBMIT}) == 0)


class FlakyQueue(StoreJobQueue):
    """A queue whose log writes always fail and whose first claims fail."""

    def __init__(self, store: DocumentStore, failing_claims: int) -> None:
        super().__init__(store)
        self.failing_claims = failing_claims

    def append_log(self, *args: Any, **kwargs: Any) -> Any:
        raise ServiceUnavailable("store down")

    def claim(self, *args: Any, **kwargs: Any) -> Job | None:
        if self.failing_claims > 0:
            self.failing_claims -= 1
            raise ServiceUnavailable("store down")
        return super().claim(*args, **kwargs)


def test_store_outages_in_claims_and_log_writes_do_not_fail_jobs(mem: Harness) -> None:
    flaky = FlakyQueue(mem.store, failing_claims=3)

    def handler(ctx: JobContext) -> dict[str, Any]:
        ctx.log("info", "this write fails")
        return {"ok": True}

    job = mem.enqueue(new_job())
    mem.start({SUBMIT: handler}, queue=flaky)
    done = mem.wait_state(job.id, JobState.SUCCEEDED)
    assert done.result == {"ok": True}
    assert flaky.failing_claims == 0
    assert mem.queue.read_logs(job.id).total == 0


def test_every_poll_calls_the_poll_hook(mem: Harness) -> None:
    polls: list[int] = []
    mem.start({}, on_poll=lambda: polls.append(1))
    wait_until(lambda: len(polls) >= 3)


def test_stop_waits_for_running_jobs_and_reports_stuck_ones(mem: Harness) -> None:
    release = threading.Event()
    running = threading.Event()

    def handler(ctx: JobContext) -> dict[str, Any]:
        running.set()
        release.wait(30)
        return {}

    job = mem.enqueue(new_job())
    runner = mem.start({SUBMIT: handler})
    assert running.wait(10)
    assert runner.stop(timeout=0.1) is False
    release.set()
    assert runner.stop(timeout=10) is True
    assert mem.state(job.id) == JobState.SUCCEEDED


def test_two_runners_drain_a_shared_queue_running_each_job_once(harness: Harness) -> None:
    seen: list[str] = []
    lock = threading.Lock()

    def handler(ctx: JobContext) -> dict[str, Any]:
        with lock:
            seen.append(ctx.job.id)
        return {}

    jobs = [harness.enqueue(new_job()) for _ in range(40)]
    harness.start({SUBMIT: handler}, concurrency=3)
    harness.start({SUBMIT: handler}, concurrency=3)
    for job in jobs:
        harness.wait_state(job.id, JobState.SUCCEEDED)
    assert sorted(seen) == sorted(job.id for job in jobs)


def test_a_run_command_gets_the_job_metadata(mem: Harness, tmp_path: Path) -> None:
    outputs: list[str] = []

    def handler(ctx: JobContext) -> dict[str, Any]:
        result = ctx.run_command(
            'echo "$CONMAN_JOB_ID $CONMAN_JOB_TYPE $CONMAN_APP_ID $CONMAN_ENTITY_ID"',
            materialize=lambda dest: None,
            env=CommandEnv(),
            timeout_seconds=10,
        )
        outputs.extend(line.text for line in result.output)
        return {}

    job = mem.enqueue(new_job())
    mem.start({SUBMIT: handler}, command_runner=SubprocessRunner())
    mem.wait_state(job.id, JobState.SUCCEEDED)
    assert outputs == [f"{job.id} {SUBMIT} {'a' * 24} {'c' * 24}"]
    assert f"info: {outputs[0]}" in log_lines(mem.queue, job.id)


def test_a_failing_poll_hook_does_not_stop_the_runner(mem: Harness) -> None:
    polls: list[int] = []

    def hook() -> None:
        polls.append(1)
        raise RuntimeError("outbox drain bug")

    job = mem.enqueue(new_job())
    mem.start({SUBMIT: lambda ctx: {"ok": True}}, on_poll=hook)
    mem.wait_state(job.id, JobState.SUCCEEDED)
    wait_until(lambda: len(polls) >= 3)
