"""Store benchmark (``make bench``): repository calls versus the raw driver call.

For each backend (memory, SQLite, MongoStore over the ``nx-27017`` wire server) it
times insert / get by id / conditional update / paginated list (20 of 500 changesets
filtered by state, with the total) / job claim, and prints median and p95 in
microseconds plus the ratio of the repository median to the raw driver median
(raw ``sqlite3`` / raw ``pymongo``, both including decoding the document).
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from bson import ObjectId
from pymongo import MongoClient, ReturnDocument

from conman_adapters.store import MemoryStore, MongoStore, SqliteStore, build_repositories
from conman_adapters.store.base import DocumentStore
from conman_adapters.store.repositories.base import to_doc
from conman_domain.model import Changeset, ChangesetState, Job, JobType

T0 = datetime(2026, 1, 1, tzinfo=UTC)
N_LIST = 500
STATES = [ChangesetState.DRAFT, ChangesetState.QUEUED, ChangesetState.IN_REVIEW]
Timing = tuple[float, float]


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


def _changeset(n: int) -> Changeset:
    """The n-th benchmark changeset (every third one queued at position n)."""
    at = T0 + timedelta(seconds=n)
    return Changeset(
        id=str(ObjectId()),
        created_at=at,
        updated_at=at,
        app_id="app1",
        workspace_id=f"ws{n}",
        author_user_id="u1",
        created_by="u1",
        title=f"changeset {n}",
        description="benchmark document " * 4,
        state=STATES[n % 3],
        queue_position=n if STATES[n % 3] == ChangesetState.QUEUED else None,
        is_open=True,
        base_sha="a" * 40,
        head_sha="b" * 40,
    )


def _job(n: int) -> Job:
    at = T0 + timedelta(milliseconds=n)
    return Job(
        id=str(ObjectId()),
        created_at=at,
        updated_at=at,
        job_type=JobType.MSUITE_SUBMIT,
        timeout_ms=1000,
        run_after=at,
        max_attempts=3,
    )


def _time(op: Callable[[int], Any], count: int) -> Timing:
    samples = []
    for i in range(count):
        start = time.perf_counter_ns()
        op(i)
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def bench_repositories(store: DocumentStore, count: int) -> dict[str, Timing]:
    repos = build_repositories(store, _Clock())
    docs = [_changeset(n) for n in range(N_LIST + count)]
    for cs in docs[:N_LIST]:
        repos.changesets.insert(cs)
    extra = docs[N_LIST:]
    ids = [cs.id for cs in docs[:count]]
    for n in range(count):
        repos.jobs.enqueue(_job(n))
    versions = dict.fromkeys(ids, 0)
    now = T0 + timedelta(hours=1)

    def update(i: int) -> None:
        cs_id = ids[i]
        versions[cs_id] = repos.changesets.set_fields(cs_id, versions[cs_id], {"title": f"t{i}"})

    return {
        "insert": _time(lambda i: repos.changesets.insert(extra[i]), count),
        "get_by_id": _time(lambda i: repos.changesets.get(ids[i]), count),
        "conditional_update": _time(update, count),
        "list_500_by_state": _time(
            lambda i: repos.changesets.list(
                {"app_id": "app1", "state": "queued"}, [("updated_at", -1)], 1 + i % 3, 20
            ),
            count,
        ),
        "job_claim": _time(lambda i: repos.jobs.claim("w1", now, 60), count),
    }


def bench_raw_sqlite(path: Path, count: int) -> dict[str, Timing]:
    """Raw sqlite3 on the repository's own file, tables and indexes (fresh rows)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("DELETE FROM c_jobs")
    conn.execute("DELETE FROM c_changesets")
    encode, decode = msgspec.json.encode, msgspec.json.decode

    def body(entity: Any) -> str:
        return encode(msgspec.to_builtins(entity)).decode()

    docs = [_changeset(n) for n in range(N_LIST + count)]
    for cs in docs[:N_LIST]:
        conn.execute("INSERT INTO c_changesets VALUES (?, ?)", (cs.id, body(cs)))
    for n in range(count):
        job = _job(n)
        conn.execute("INSERT INTO c_jobs VALUES (?, ?)", (job.id, body(job)))
    extra = docs[N_LIST:]
    ids = [cs.id for cs in docs[:count]]
    versions = dict.fromkeys(ids, 0)

    def get(i: int) -> Any:
        return decode(
            conn.execute("SELECT doc FROM c_changesets WHERE id = ?", (ids[i],)).fetchone()[0]
        )

    def update(i: int) -> None:
        cs_id, version = ids[i], versions[ids[i]]
        conn.execute(
            "UPDATE c_changesets SET doc = "
            "json_set(doc,'$.title',?,'$.version',?,'$.updated_at',?) "
            "WHERE id = ? AND json_extract(doc,'$.version') = ?",
            (f"t{i}", version + 1, datetime.now(UTC).isoformat(), cs_id, version),
        )
        versions[cs_id] = version + 1

    def page(i: int) -> Any:
        where = "json_extract(doc,'$.app_id') = ? AND json_extract(doc,'$.state') = ?"
        rows = conn.execute(
            f"SELECT doc FROM c_changesets WHERE {where} "
            "ORDER BY json_extract(doc,'$.updated_at') DESC, id DESC LIMIT 20 OFFSET ?",
            ("app1", "queued", 20 * (i % 3)),
        ).fetchall()
        total = conn.execute(f"SELECT count(*) FROM c_changesets WHERE {where}", ("app1", "queued"))
        return [decode(r[0]) for r in rows], total.fetchone()[0]

    def claim(i: int) -> Any:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute(
            "SELECT id FROM c_jobs WHERE json_extract(doc,'$.state') = 'queued' ORDER BY "
            "json_extract(doc,'$.created_at') LIMIT 1"
        ).fetchone()
        doc = conn.execute(
            "UPDATE c_jobs SET doc = json_set(doc,'$.state','running','$.worker_id','w1') "
            "WHERE id = ? RETURNING doc",
            (row[0],),
        ).fetchone()
        conn.execute("COMMIT")
        return decode(doc[0])

    result = {
        "insert": _time(
            lambda i: conn.execute(
                "INSERT INTO c_changesets VALUES (?, ?)", (extra[i].id, body(extra[i]))
            ),
            count,
        ),
        "get_by_id": _time(get, count),
        "conditional_update": _time(update, count),
        "list_500_by_state": _time(page, count),
        "job_claim": _time(claim, count),
    }
    conn.close()
    return result


def bench_raw_pymongo(uri: str, count: int) -> dict[str, Timing]:
    """Raw pymongo on the repository's own database, collections and indexes."""
    client: MongoClient[dict[str, Any]] = MongoClient(uri, tz_aware=True)
    db = client["bench"]
    cs_coll, jobs = db["changesets"], db["jobs"]
    jobs.delete_many({})
    cs_coll.delete_many({})

    def body(entity: Any) -> dict[str, Any]:
        doc = to_doc(entity)
        doc["_id"] = ObjectId(doc["_id"])
        return doc

    docs = [_changeset(n) for n in range(N_LIST + count)]
    cs_coll.insert_many([body(cs) for cs in docs[:N_LIST]])
    jobs.insert_many([body(_job(n)) for n in range(count)])
    extra = [body(cs) for cs in docs[N_LIST:]]
    ids = [ObjectId(cs.id) for cs in docs[:count]]
    versions = dict.fromkeys(ids, 0)

    def update(i: int) -> None:
        oid, version = ids[i], versions[ids[i]]
        cs_coll.update_one(
            {"_id": oid, "version": version},
            {"$set": {"title": f"t{i}", "version": version + 1, "updated_at": datetime.now(UTC)}},
        )
        versions[oid] = version + 1

    def page(i: int) -> Any:
        flt = {"app_id": "app1", "state": "queued"}
        items = list(
            cs_coll.find(flt, sort=[("updated_at", -1), ("_id", -1)], skip=20 * (i % 3), limit=20)
        )
        return items, cs_coll.count_documents(flt)

    result = {
        "insert": _time(lambda i: cs_coll.insert_one(extra[i]), count),
        "get_by_id": _time(lambda i: cs_coll.find_one({"_id": ids[i]}), count),
        "conditional_update": _time(update, count),
        "list_500_by_state": _time(page, count),
        "job_claim": _time(
            lambda i: jobs.find_one_and_update(
                {"state": "queued"},
                {"$set": {"state": "running", "worker_id": "w1"}, "$inc": {"attempts": 1}},
                sort=[("created_at", 1)],
                return_document=ReturnDocument.AFTER,
            ),
            count,
        ),
    }
    client.close()
    return result


def _start_wire_server(workdir: str) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    os.makedirs(workdir, exist_ok=True)
    exe = Path(sys.executable).with_name("nx-27017")
    proc = subprocess.Popen(
        [
            str(exe),
            "--data-dir",
            workdir,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-file",
            os.path.join(workdir, "log"),
            "--pid-file",
            os.path.join(workdir, "pid"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    for _ in range(300):
        try:
            MongoClient(uri, serverSelectionTimeoutMS=200).admin.command("ping")
            return proc, uri
        except Exception:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("nx-27017 did not start")


def _print(backend: str, repo: dict[str, Timing], raw: dict[str, Timing] | None) -> None:
    for op, (median, p95) in repo.items():
        ratio = f"{median / raw[op][0]:5.2f}x" if raw else "    - "
        raw_text = f"{raw[op][0]:9.1f}" if raw else "        -"
        print(f"{backend:10s} {op:20s} {median:9.1f} {p95:9.1f} {raw_text} {ratio}", flush=True)


def main() -> None:
    count = int(os.environ.get("CONMAN_BENCH_STORE_N", "300"))
    workdir = tempfile.mkdtemp(prefix="conman-store-bench-")
    print(
        f"{'backend':10s} {'operation':20s} {'median_us':>9s} {'p95_us':>9s} "
        f"{'raw_med':>9s} {'ratio':>6s}"
    )
    try:
        _print("memory", bench_repositories(MemoryStore(), count), None)
        sqlite_store = SqliteStore(Path(workdir) / "repo.db")
        sqlite_repo = bench_repositories(sqlite_store, count)
        sqlite_store.close()
        _print("sqlite", sqlite_repo, bench_raw_sqlite(Path(workdir) / "repo.db", count))
        proc, uri = _start_wire_server(os.path.join(workdir, "wire"))
        try:
            wire_store = MongoStore(uri, "bench", partial_unique=False)
            wire_repo = bench_repositories(wire_store, count)
            wire_store.close()
            _print("wire", wire_repo, bench_raw_pymongo(uri, count))
        finally:
            proc.terminate()
            proc.wait(10)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
