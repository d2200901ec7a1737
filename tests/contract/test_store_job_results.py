"""A final job failure keeps the gate result (DOMAIN.md §11.4) on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bson import ObjectId
from store_backends import BACKENDS, kinds, store_fixture

from conman_adapters.store.base import DocumentStore
from conman_adapters.store.repositories import StoreJobQueue
from conman_domain.model import Job, JobState, JobType

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
RESULT = {"passed": False, "runner": "builtin", "checks": 2, "failures": [], "duration_ms": 1}


@pytest.fixture(params=kinds(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    yield from store_fixture(request, tmp_path)


def _job(max_attempts: int) -> Job:
    return Job(
        id=str(ObjectId()), created_at=T0, updated_at=T0, job_type=JobType.MSUITE_SUBMIT,
        app_id="app1", max_attempts=max_attempts, timeout_ms=1000, run_after=T0,
    )  # fmt: skip


def test_a_final_failure_keeps_the_result_and_a_retry_does_not(store: DocumentStore) -> None:
    queue = StoreJobQueue(store)
    now = T0 + timedelta(seconds=1)
    final = queue.enqueue(_job(max_attempts=3))
    assert queue.claim("w/1", now, 60) is not None
    failed = queue.fail(final.id, "w/1", "submit gate failed", now, False, result=RESULT)
    assert failed is not None and failed.state == JobState.FAILED and failed.result == RESULT
    retried = queue.enqueue(_job(max_attempts=3))
    assert queue.claim("w/2", now, 60) is not None
    again = queue.fail(retried.id, "w/2", "git down", now, True, result=RESULT)
    assert again is not None and again.state == JobState.QUEUED and again.result is None
