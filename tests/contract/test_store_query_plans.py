"""Every SQL statement the use cases run is served by an index (DOMAIN.md §21
"all listings indexed").

A realistic scenario (identity flows, the jobs API, a changeset from creation to the
queue, audit queries) runs over HTTP on a ``SqliteStore``; every statement its
connections execute is recorded and ``EXPLAIN QUERY PLAN`` must show no ``SCAN`` of
a collection table. SQLite keeps no statistics here (no ``ANALYZE``), so plans do not
depend on how many rows the scenario wrote.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from conman_adapters.config import Settings
from conman_adapters.container import Container, build_container
from conman_adapters.store import SqliteStore
from conman_domain.model import JobType, LogLevel
from conman_domain.usecases.job_shapes import new_job
from tests.http import identity_harness
from tests.http.changeset_world import World, changeset_world
from tests.http.identity_harness import PASSWORD
from tests.http.store_spy import SqlRecorder, record_sql

_TABLE_STEP = re.compile(r"^SCAN (c_[a-z_]+)\b")

# Statements allowed to scan a whole table, with the reason. Compared after the
# bound values have been replaced by ``?``.
ALLOWED_SCANS = {
    # bootstrap (start-up only): "is the store empty?" over the covering email index
    'SELECT count(*) FROM "c_users" WHERE 1',
}


def _normalized(sql: str) -> str:
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    return re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql)


def _queries(statements: list[str]) -> list[str]:
    """The reads and writes on collection tables (not schema, pragmas or transactions)."""
    out = []
    for sql in dict.fromkeys(statements):
        head = sql.lstrip().split(" ", 1)[0].upper()
        if head in ("SELECT", "UPDATE", "DELETE") and '"c_' in sql:
            out.append(sql)
    return out


def _plan(db: Path, sql: str) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
    finally:
        conn.close()


def _never_reads(sql: str) -> bool:
    """An empty ``$in`` compiles to ``WHERE 0``: SQLite skips the loop entirely."""
    return bool(re.search(r" WHERE 0(?: ORDER BY| LIMIT|\)|$)", sql))


def full_scans(db: Path, statements: list[str]) -> dict[str, list[str]]:
    """Statement → the plan steps that scan a collection table, for offending ones."""
    found: dict[str, list[str]] = {}
    for sql in _queries(statements):
        if _normalized(sql) in ALLOWED_SCANS or _never_reads(sql):
            continue
        steps = [s for s in _plan(db, sql) if _TABLE_STEP.match(s)]
        if steps:
            found[sql] = steps
    return found


@pytest.fixture
def sqlite_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[World, SqlRecorder]]:
    """The changeset world of the HTTP tests, on SQLite instead of memory."""
    build = build_container

    def on_sqlite(
        settings: Settings, *, backend: str | None = None, git_backend: str | None = None
    ) -> Container:
        return build(settings, backend="sqlite", git_backend=git_backend)

    monkeypatch.setattr(identity_harness, "build_container", on_sqlite)
    with record_sql(monkeypatch) as recorder, changeset_world(tmp_path) as world:
        assert isinstance(world.repos.store, SqliteStore)
        yield world, recorder


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _identity_flows(w: World) -> None:
    env = w.env
    user = env.user("ann@example.com", "Ann")
    client = env.client
    login = _ok(client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD}))
    bad = client.post("/api/auth/login", json={"email": user.email, "password": "wrong-one-xx"})
    assert bad.status_code == 401
    headers = {"Authorization": f"Bearer {login['data']['token']}"}
    admin = w.headers(w.admin)
    _ok(client.get("/api/me", headers=headers))
    _ok(client.get("/api/me/notification-preferences", headers=headers))
    _ok(
        client.patch(
            "/api/me/notification-preferences", headers=headers, json={"email_enabled": False}
        )
    )
    _ok(client.get("/api/apps", headers=admin))
    _ok(client.get(f"/api/apps/{w.app_id}", headers=admin))
    _ok(client.get(f"/api/apps/{w.app_id}/members", headers=admin))
    invite = _ok(
        client.post(
            f"/api/apps/{w.app_id}/invites",
            headers=admin,
            json={"email": "bob@example.com", "role": "reviewer"},
        ),
        201,
    )
    _ok(client.get(f"/api/apps/{w.app_id}/invites", headers=admin))
    _ok(client.delete(f"/api/apps/{w.app_id}/invites/{invite['data']['id']}", headers=admin))
    _ok(client.post("/api/auth/forgot-password", json={"email": user.email}))
    env.container.outbox_drain()()
    _ok(client.post("/api/auth/logout", headers=headers))
    assert client.get("/api/me", headers=headers).status_code == 401


def _jobs_flows(w: World) -> None:
    ids, clock, queue = w.env.services.deps.ids, w.env.clock, w.queue
    jobs = [
        queue.enqueue(
            new_job(
                ids,
                clock,
                app_id=w.app_id,
                job_type=kind,
                entity_type="changeset",
                entity_id="e" * 24,
                payload={},
                created_by=w.admin.id,
            )
        )
        for kind in (JobType.MSUITE_SUBMIT, JobType.TEMP_ENV_CLEANUP, JobType.MSUITE_SUBMIT)
    ]
    clock.advance(seconds=1)
    claimed = queue.claim("w/9", clock.now(), 60, [JobType.TEMP_ENV_CLEANUP.value])
    assert claimed is not None
    queue.heartbeat(claimed.id, "w/9", clock.now(), 60)
    queue.append_log(claimed.id, LogLevel.INFO, "working", clock.now())
    queue.fail(claimed.id, "w/9", "boom", clock.now(), retryable=False)
    base = f"/jobs/{jobs[0].id}"
    for path in (
        "/jobs",
        "/jobs?state=queued",
        "/jobs?type=msuite_submit,temp_env_cleanup",
        f"/jobs?entity_type=changeset&entity_id={'e' * 24}",
        base,
        f"{base}/logs",
        f"/jobs/{claimed.id}/logs",
    ):
        _ok(w.call("GET", w.admin, path))
    _ok(w.call("POST", w.admin, f"{base}/cancel"))
    _ok(w.call("POST", w.admin, f"/jobs/{claimed.id}/retry"), 202)
    clock.advance(minutes=5)
    assert queue.claim("w/9", clock.now(), 60) is not None


def _background(w: World) -> None:
    """What the in-process runner and the sweep run: heartbeat with the queue-depth
    gauges, claims of any type, the outbox drain and the TTL purge."""
    w.env.container.job_runner()._beat()
    w.env.clock.advance(minutes=10)
    while w.queue.claim("w/bg", w.env.clock.now(), 60) is not None:
        pass
    w.env.container.outbox_drain()()
    w.repos.purge_expired(w.env.clock.now() + timedelta(days=40))


def _changeset_flows(w: World) -> None:
    changeset_id = w.approved()
    _ok(w.call("POST", w.author, f"/changesets/{changeset_id}/queue"))
    one = f"/changesets/{changeset_id}"
    for path in (
        "/changesets",
        "/changesets?state=queued",
        "/changesets?state=draft,queued",
        "/queue",
        f"/changesets?author_user_id={w.author.id}",
        one,
        f"{one}/revisions",
        f"{one}/reviews",
        f"{one}/comments",
        "/workspaces",
        "/audit",
        f"/audit?entity_type=changeset&entity_id={changeset_id}",
        "/audit?action=created",
        f"/audit?actor_user_id={w.author.id}",
        "/audit?from=2026-01-01T00:00:00Z",
    ):
        _ok(w.call("GET", w.admin, path))
    comment = {"body": "looks fine", "file_path": "config/a.json", "line_number": 1}
    _ok(w.call("POST", w.rev2, f"{one}/comments", comment), 201)


def test_every_statement_of_the_main_flows_is_served_by_an_index(
    sqlite_world: tuple[World, SqlRecorder],
) -> None:
    world, recorder = sqlite_world
    _identity_flows(world)
    _jobs_flows(world)
    _changeset_flows(world)
    _background(world)
    store = world.repos.store
    assert isinstance(store, SqliteStore)
    statements = _queries(recorder.statements)
    touched = {m.group(1) for s in statements for m in re.finditer(r'"c_([a-z_]+)"', s)}
    assert {"users", "app_memberships", "changesets", "jobs", "audit_events"} <= touched
    assert {"invites", "notification_outbox", "job_logs", "changeset_reviews"} <= touched
    assert {"job_runner_heartbeats", "password_reset_tokens", "revoked_tokens"} <= touched
    assert full_scans(Path(store.path), statements) == {}


def test_the_checker_reports_a_filter_on_an_unindexed_field(
    sqlite_world: tuple[World, SqlRecorder],
) -> None:
    world, recorder = sqlite_world
    world.repos.changesets.all({"title": "Change"})
    store = world.repos.store
    assert isinstance(store, SqliteStore)
    found = full_scans(Path(store.path), recorder.statements)
    assert [steps for sql, steps in found.items() if "$.title" in sql] == [
        ["SCAN c_changesets USING INDEX sqlite_autoindex_c_changesets_1"]
    ]


def test_the_queued_listing_and_the_default_listing_read_the_index_in_order(
    sqlite_world: tuple[World, SqlRecorder],
) -> None:
    """L7 (50 concurrent ``state=queued`` listings) and the default changeset listing
    walk an index in ``updated_at`` order: no sort of every changeset of the app."""
    world, recorder = sqlite_world
    for path in ("/changesets?state=queued", "/changesets"):
        _ok(world.call("GET", world.cm, path))
    store = world.repos.store
    assert isinstance(store, SqliteStore)
    listings = [
        s for s in _queries(recorder.statements) if s.startswith('SELECT doc FROM "c_changesets"')
    ]
    assert len(listings) == 2
    for sql in listings:
        steps = _plan(Path(store.path), sql)
        assert any(s.startswith("SEARCH c_changesets USING INDEX") for s in steps), steps
        assert "USE TEMP B-TREE FOR ORDER BY" not in steps, (sql, steps)
