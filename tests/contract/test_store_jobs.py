"""The job queue contract (DOMAIN.md §17) on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bson import ObjectId
from store_backends import BACKENDS, WIRE_SET_DATETIME, kinds, store_fixture, wire_xfail

from conman_adapters.store.base import DocumentStore
from conman_adapters.store.repositories import StoreJobQueue
from conman_domain.errors import InvalidTransition, NotFound
from conman_domain.model import Job, JobState, JobType, LogLevel

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
LEASE = 60.0


@pytest.fixture(params=kinds(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    yield from store_fixture(request, tmp_path)


@pytest.fixture
def queue(store: DocumentStore) -> StoreJobQueue:
    return StoreJobQueue(store)


def job(
    at: datetime = T0,
    *,
    run_after: datetime | None = None,
    max_attempts: int = 3,
    job_type: JobType = JobType.MSUITE_SUBMIT,
) -> Job:
    return Job(
        id=str(ObjectId()),
        created_at=at,
        updated_at=at,
        job_type=job_type,
        app_id="app1",
        entity_type="changeset",
        entity_id="c1",
        max_attempts=max_attempts,
        timeout_ms=900_000,
        run_after=run_after or at,
    )


def test_claim_takes_the_oldest_due_job_and_leases_it(
    queue: StoreJobQueue, request: pytest.FixtureRequest
) -> None:
    wire_xfail(request, WIRE_SET_DATETIME)
    newer = queue.enqueue(job(T0 + timedelta(seconds=2)))
    older = queue.enqueue(job(T0 + timedelta(seconds=1)))
    queue.enqueue(job(T0, run_after=T0 + timedelta(hours=1)))
    now = T0 + timedelta(minutes=1)
    first = queue.claim("w1", now, LEASE)
    second = queue.claim("w2", now, LEASE)
    assert first is not None and second is not None
    assert (first.id, second.id) == (older.id, newer.id)
    assert first.state == JobState.RUNNING and first.attempts == 1
    assert first.worker_id == "w1" and first.locked_until == now + timedelta(seconds=LEASE)
    assert first.started_at == now
    assert queue.claim("w3", now, LEASE) is None


def test_claim_filters_by_job_type(queue: StoreJobQueue) -> None:
    queue.enqueue(job(job_type=JobType.MSUITE_SUBMIT))
    wanted = queue.enqueue(job(job_type=JobType.DEPLOY_RELEASE))
    got = queue.claim("w1", T0, LEASE, job_types=["deploy_release"])
    assert got is not None and got.id == wanted.id


def test_expired_lease_is_reclaimed_and_the_old_worker_loses_the_job(
    queue: StoreJobQueue,
) -> None:
    queued = queue.enqueue(job(max_attempts=2))
    queue.claim("w1", T0, LEASE)
    assert queue.claim("w2", T0 + timedelta(seconds=30), LEASE) is None
    assert queue.heartbeat(queued.id, "w1", T0 + timedelta(seconds=30), LEASE) is True
    later = T0 + timedelta(seconds=30 + LEASE + 1)
    again = queue.claim("w2", later, LEASE)
    assert again is not None and (again.worker_id, again.attempts) == ("w2", 2)
    assert queue.heartbeat(queued.id, "w1", later, LEASE) is False
    assert queue.complete(queued.id, "w1", {}, later) is False
    assert queue.claim("w3", later + timedelta(seconds=LEASE + 1), LEASE) is None
    failed = queue.get(queued.id)
    assert (failed.state, failed.error_message) == (JobState.FAILED, "lease expired")
    assert failed.attempts == 2


def test_retryable_failure_requeues_with_backoff_until_attempts_run_out(
    queue: StoreJobQueue, request: pytest.FixtureRequest
) -> None:
    wire_xfail(request, WIRE_SET_DATETIME)
    queued = queue.enqueue(job(max_attempts=2))
    queue.claim("w1", T0, LEASE)
    retried = queue.fail(queued.id, "w1", "git 502", T0, retryable=True)
    assert retried is not None and retried.state == JobState.QUEUED
    assert retried.run_after == T0 + timedelta(seconds=5)
    assert queue.claim("w1", T0 + timedelta(seconds=4), LEASE) is None
    queue.claim("w1", T0 + timedelta(seconds=5), LEASE)
    final = queue.fail(queued.id, "w1", "git 502 again", T0 + timedelta(seconds=6), True)
    assert final is not None and final.state == JobState.FAILED
    assert final.completed_at == T0 + timedelta(seconds=6)


def test_complete_records_the_result(queue: StoreJobQueue) -> None:
    queued = queue.enqueue(job())
    queue.claim("w1", T0, LEASE)
    assert queue.complete(queued.id, "w1", {"ok": True}, T0 + timedelta(seconds=3)) is True
    done = queue.get(queued.id)
    assert (done.state, done.result, done.locked_until) == (JobState.SUCCEEDED, {"ok": True}, None)


def test_cancel_is_immediate_when_queued_and_requested_when_running(
    queue: StoreJobQueue, request: pytest.FixtureRequest
) -> None:
    wire_xfail(request, WIRE_SET_DATETIME)
    waiting = queue.enqueue(job(T0))
    running = queue.enqueue(job(T0 - timedelta(seconds=1)))
    assert queue.claim("w1", T0, LEASE) is not None
    assert queue.cancel(waiting.id, T0).state == JobState.CANCELED
    flagged = queue.cancel(running.id, T0)
    assert flagged.state == JobState.RUNNING and flagged.cancel_requested
    assert queue.heartbeat(running.id, "w1", T0, LEASE) is False
    assert queue.finish_canceled(running.id, "w1", T0) is True
    with pytest.raises(InvalidTransition):
        queue.cancel(running.id, T0)
    with pytest.raises(NotFound):
        queue.cancel(str(ObjectId()), T0)


def test_log_lines_get_increasing_seq_and_read_back_in_order(queue: StoreJobQueue) -> None:
    queued = queue.enqueue(job())
    for n in range(5):
        queue.append_log(queued.id, LogLevel.INFO, f"line {n}", T0, {"n": n})
    page = queue.read_logs(queued.id, page=2, limit=2)
    assert page.total == 5
    assert [(line.seq, line.message) for line in page.items] == [(3, "line 2"), (4, "line 3")]


def test_listing_jobs_filters_and_counts(queue: StoreJobQueue) -> None:
    for n in range(4):
        queue.enqueue(job(T0 + timedelta(seconds=n)))
    queue.claim("w1", T0 + timedelta(minutes=1), LEASE)
    listed = queue.list({"state": "queued"}, limit=2)
    assert listed.total == 3 and len(listed.items) == 2
    assert listed.items[0].created_at == T0 + timedelta(seconds=3)
