"""Concurrency: no job is claimed twice and exactly one compare-and-set wins."""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bson import ObjectId
from store_backends import (
    MULTI_PROCESS,
    THREAD_SAFE,
    WireServer,
    claim_worker,
    kinds,
    make_store,
)

from conman_adapters.store.base import DocumentStore
from conman_adapters.store.repositories import StoreJobQueue
from conman_domain.model import Job, JobType

T0 = datetime(2026, 1, 1, tzinfo=UTC)
JOBS = 200


def enqueue_jobs(store: DocumentStore) -> set[str]:
    queue = StoreJobQueue(store)
    made = set()
    for n in range(JOBS):
        job = Job(
            id=str(ObjectId()),
            created_at=T0 + timedelta(milliseconds=n),
            updated_at=T0,
            job_type=JobType.MSUITE_SUBMIT,
            timeout_ms=1000,
            max_attempts=3,
            run_after=T0,
        )
        made.add(queue.enqueue(job).id)
    return made


def wire_uri(request: pytest.FixtureRequest, kind: str) -> str | None:
    if kind != "wire":
        return None
    server: WireServer = request.getfixturevalue("wire_server")
    return server.uri


@pytest.mark.parametrize("kind", kinds(THREAD_SAFE))
def test_eight_threads_claiming_two_hundred_jobs_never_claim_one_twice(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = make_store(kind, tmp_path, wire_uri(request, kind))
    made = enqueue_jobs(store)
    queue = StoreJobQueue(store)
    now = T0 + timedelta(hours=1)

    def loop(n: int) -> list[str]:
        taken = []
        while (job := queue.claim(f"w{n}", now, 600)) is not None:
            taken.append(job.id)
        return taken

    with ThreadPoolExecutor(8) as pool:
        claimed = [job_id for chunk in pool.map(loop, range(8)) for job_id in chunk]
    store.close()
    assert [job_id for job_id, n in Counter(claimed).items() if n > 1] == []
    assert set(claimed) == made


@pytest.mark.parametrize("kind", kinds(MULTI_PROCESS))
def test_two_processes_of_four_threads_never_claim_a_job_twice(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    name = f"p{uuid.uuid4().hex[:10]}"
    uri = wire_uri(request, kind)
    store = make_store(kind, tmp_path, uri, name=name)
    made = enqueue_jobs(store)
    store.close()
    target = str(tmp_path / f"{name}.db") if kind == "sqlite" else f"{uri}|{name}"
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(2, mp_context=context) as pool:
        start = manager.Barrier(2)
        futures = [pool.submit(claim_worker, kind, target, 4, 600.0, start) for _ in range(2)]
        per_process = [f.result(timeout=240) for f in futures]
    claimed = [job_id for chunk in per_process for job_id in chunk]
    assert [job_id for job_id, n in Counter(claimed).items() if n > 1] == []
    assert set(claimed) == made


@pytest.mark.parametrize("kind", kinds(THREAD_SAFE))
def test_concurrent_compare_and_set_updates_have_exactly_one_winner(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = make_store(kind, tmp_path, wire_uri(request, kind))
    coll = store.collection("things")
    coll.insert_one({"_id": "x" * 24, "version": 0, "owner": None})
    barrier = threading.Barrier(8)
    wins: list[int] = []

    def attempt(n: int) -> None:
        barrier.wait()
        if coll.update_one(
            {"_id": "x" * 24, "version": 0}, {"$set": {"owner": n}, "$inc": {"version": 1}}
        ):
            wins.append(n)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    doc = coll.find_one({"_id": "x" * 24})
    store.close()
    assert len(wins) == 1
    assert doc is not None and (doc["owner"], doc["version"]) == (wins[0], 1)
