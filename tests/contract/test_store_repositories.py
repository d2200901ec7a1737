"""Repository contract (CAS, uniqueness, pagination, audit, heartbeats) on every backend."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bson import ObjectId
from store_backends import (
    BACKENDS,
    THREAD_SAFE,
    WIRE_NO_PARTIAL,
    WIRE_SET_DATETIME,
    FixedClock,
    kinds,
    make_store,
    store_fixture,
    wire_xfail,
)

from conman_adapters.store import Repositories, build_repositories
from conman_adapters.store.base import DocumentStore
from conman_domain.errors import Conflict, NotFound
from conman_domain.model import GENESIS_HASH, AuditEvent, Changeset, ChangesetState, User

T0 = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(params=kinds(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    yield from store_fixture(request, tmp_path)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def repos(store: DocumentStore, clock: FixedClock) -> Repositories:
    return build_repositories(store, clock)


def new_id() -> str:
    return str(ObjectId())


def user(email: str, at: datetime = T0) -> User:
    return User(
        id=new_id(),
        created_at=at,
        updated_at=at,
        email=email,
        name=email.split("@", maxsplit=1)[0],
        password_hash="h",
        password_changed_at=at,
    )


def changeset(workspace: str, *, is_open: bool = True, at: datetime = T0) -> Changeset:
    return Changeset(
        id=new_id(),
        created_at=at,
        updated_at=at,
        app_id="app1",
        workspace_id=workspace,
        author_user_id="u1",
        created_by="u1",
        title=f"cs {workspace}",
        is_open=is_open,
        state=ChangesetState.DRAFT if is_open else ChangesetState.REJECTED,
    )


def test_inserted_entity_reads_back_equal_and_missing_id_is_not_found(repos: Repositories) -> None:
    alice = repos.users.insert(user("alice@x.io"))
    assert repos.users.get(alice.id) == alice
    assert repos.users.find_one({"email": "alice@x.io"}) == alice
    with pytest.raises(NotFound):
        repos.users.get(new_id())


def test_duplicate_email_is_a_conflict(repos: Repositories) -> None:
    repos.users.insert(user("alice@x.io"))
    with pytest.raises(Conflict):
        repos.users.insert(user("alice@x.io"))
    assert repos.users.count({}) == 1


def test_save_bumps_version_and_a_stale_copy_loses_with_conflict(
    repos: Repositories, clock: FixedClock, request: pytest.FixtureRequest
) -> None:
    wire_xfail(request, WIRE_SET_DATETIME)
    stale = repos.users.insert(user("alice@x.io"))
    clock.advance(5)
    saved = repos.users.save(stale.__copy__())
    assert (saved.version, saved.updated_at) == (1, T0 + timedelta(seconds=5))
    assert repos.users.get(stale.id) == saved
    stale.name = "lost"
    with pytest.raises(Conflict):
        repos.users.save(stale)
    assert repos.users.get(stale.id).name == "alice"
    with pytest.raises(NotFound):
        repos.users.save(user("ghost@x.io"))


def test_set_fields_is_a_compare_and_set_on_the_version(repos: Repositories) -> None:
    cs = repos.changesets.insert(changeset("w1"))
    assert repos.changesets.set_fields(cs.id, 0, {"state": ChangesetState.SUBMITTED}) == 1
    with pytest.raises(Conflict):
        repos.changesets.set_fields(cs.id, 0, {"state": ChangesetState.APPROVED})
    got = repos.changesets.get(cs.id)
    assert (got.state, got.version) == (ChangesetState.SUBMITTED, 1)


def test_one_open_changeset_per_workspace_is_enforced_by_the_partial_index(
    repos: Repositories, request: pytest.FixtureRequest
) -> None:
    wire_xfail(request, WIRE_NO_PARTIAL)
    repos.changesets.insert(changeset("w1", is_open=False))
    repos.changesets.insert(changeset("w1", is_open=False))
    repos.changesets.insert(changeset("w1"))
    with pytest.raises(Conflict):
        repos.changesets.insert(changeset("w1"))
    repos.changesets.insert(changeset("w2"))


def test_listing_pages_with_total_and_breaks_ties_by_id_descending(
    repos: Repositories,
) -> None:
    made = [
        repos.changesets.insert(changeset(f"w{n}", at=T0 + timedelta(n // 2))) for n in range(7)
    ]
    page1 = repos.changesets.list({"app_id": "app1"}, [("created_at", 1)], page=1, limit=3)
    page3 = repos.changesets.list({"app_id": "app1"}, [("created_at", 1)], page=3, limit=3)
    beyond = repos.changesets.list({"app_id": "app1"}, [("created_at", 1)], page=9, limit=3)
    expected = sorted(made, key=lambda c: (c.created_at, [-ord(ch) for ch in c.id]))
    assert [c.id for c in page1.items] == [c.id for c in expected[:3]]
    assert [c.id for c in page3.items] == [expected[6].id]
    assert (page1.total, beyond.total, beyond.items) == (7, 7, [])
    assert repos.changesets.list({"state": "draft", "workspace_id": "w3"}).total == 1


def test_concurrent_compare_and_set_has_exactly_one_winner(
    store: DocumentStore, clock: FixedClock, request: pytest.FixtureRequest
) -> None:
    if request.node.callspec.params["store"] not in THREAD_SAFE:
        pytest.skip("the backend is not thread-safe")
    repos = build_repositories(store, clock)
    cs = repos.changesets.insert(changeset("w1"))
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            repos.changesets.set_fields(cs.id, 0, {"title": f"t{n}"})
            outcomes.append("won")
        except Conflict:
            outcomes.append("lost")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]
    assert repos.changesets.get(cs.id).version == 1


def audit_event(chain: str, seq: int, prev: str) -> AuditEvent:
    return AuditEvent(
        id=new_id(),
        created_at=T0,
        occurred_at=T0 + timedelta(seconds=seq),
        seq=seq,
        chain_key=chain,
        entity_type="app",
        action="app.created",
        prev_hash=prev,
        hash=f"{seq:064x}",
    )


def test_audit_is_append_only_with_a_unique_seq_per_chain(repos: Repositories) -> None:
    assert repos.audit.last_in_chain("global") is None
    for seq in (1, 2, 3):
        repos.audit.append(audit_event("global", seq, GENESIS_HASH))
    repos.audit.append(audit_event("app1", 1, GENESIS_HASH))
    with pytest.raises(Conflict):
        repos.audit.append(audit_event("global", 2, GENESIS_HASH))
    last = repos.audit.last_in_chain("global")
    assert last is not None and last.seq == 3
    assert [e.seq for e in repos.audit.chain("global", after_seq=1)] == [2, 3]
    assert repos.audit.list({"chain_key": "global"}).total == 3
    assert not hasattr(repos.audit, "update") and not hasattr(repos.audit, "delete")


def test_runner_heartbeats_report_the_newest_beat(
    repos: Repositories, request: pytest.FixtureRequest
) -> None:
    wire_xfail(request, WIRE_SET_DATETIME)
    assert repos.heartbeats.latest() is None
    repos.heartbeats.beat("r1", "host", 1, T0)
    repos.heartbeats.beat("r2", "host", 2, T0 + timedelta(seconds=3))
    repos.heartbeats.beat("r1", "host", 1, T0 + timedelta(seconds=10))
    assert repos.heartbeats.latest() == T0 + timedelta(seconds=10)


def test_sqlite_data_survives_reopening_the_file(tmp_path: Path, clock: FixedClock) -> None:
    first = make_store("sqlite", tmp_path, None, name="persist")
    repos = build_repositories(first, clock)
    alice = repos.users.insert(user("alice@x.io"))
    first.close()
    second = make_store("sqlite", tmp_path, None, name="persist")
    again = build_repositories(second, clock)
    assert again.users.get(alice.id) == alice
    with pytest.raises(Conflict):
        again.users.insert(user("alice@x.io"))
    second.close()
