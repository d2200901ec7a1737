"""List endpoints issue a fixed number of store calls, whatever the number of items
(no N+1 lookups: related documents are read with one ``$in`` query)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dependency_injector import providers

from conman_adapters.config import Settings
from conman_adapters.container import Container, build_container
from conman_adapters.store import MemoryStore
from conman_domain.model import Changeset, ChangesetState, CommitMode, JobType, Role
from conman_domain.usecases.job_shapes import new_job
from tests.http import identity_harness
from tests.http.changeset_world import World, changeset_world
from tests.http.store_spy import CountingStore

LISTINGS = (
    "/api/apps",
    "/api/me",
    "/api/apps/{app}/members?limit=100",
    "/api/apps/{app}/changesets?limit=100",
    "/api/apps/{app}/changesets?state=queued&limit=100",
    "/api/apps/{app}/queue?limit=100",
    "/api/apps/{app}/jobs?limit=100",
    "/api/apps/{app}/workspaces?limit=100",
    "/api/apps/{app}/invites?limit=100",
    "/api/apps/{app}/audit?limit=100",
)


@pytest.fixture
def counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[World, CountingStore]]:
    """The changeset world over a memory store whose collection calls are counted."""
    build = build_container
    spy = CountingStore(MemoryStore())

    def counting(
        settings: Settings, *, backend: str | None = None, git_backend: str | None = None
    ) -> Container:
        container = build(settings, backend=backend, git_backend=git_backend)
        container.store.override(providers.Object(spy))
        return container

    monkeypatch.setattr(identity_harness, "build_container", counting)
    with changeset_world(tmp_path) as world:
        yield world, spy


def _seed(w: World, start: int, stop: int) -> None:
    """Members ``start..stop`` of the app, each with an app of their own (where the
    admin is a reviewer), a workspace, a queued changeset, a job and an invite."""
    ids, clock = w.env.services.deps.ids, w.env.clock
    for i in range(start, stop):
        user = w._member(f"m{i}@example.com", Role.USER)
        w.env.add_member(w.env.app(user, f"app{i}"), w.admin, Role.REVIEWER)
        w.set_commit_mode(user, CommitMode.MANUAL_CHECKPOINT if i % 2 else CommitMode.SUBMIT_COMMIT)
        ws = w.new_workspace(user, f"ws/m{i}")
        now = clock.now()
        w.repos.changesets.insert(
            Changeset(
                id=ids.new_id(), created_at=now, updated_at=now, app_id=w.app_id,
                workspace_id=ws.id, author_user_id=user.id, created_by=user.id, title=f"c{i}",
                state=ChangesetState.QUEUED, queue_position=i + 1, queued_at=now,
            )
        )  # fmt: skip
        w.queue.enqueue(
            new_job(
                ids, clock, app_id=w.app_id, job_type=JobType.MSUITE_SUBMIT,
                entity_type="changeset", entity_id=ws.id, payload={}, created_by=user.id,
            )
        )  # fmt: skip
        response = w.call(
            "POST", w.admin, "/invites", {"email": f"inv{i}@example.com", "role": "user"}
        )
        assert response.status_code == 201, response.text


def _calls_per_listing(w: World, spy: CountingStore) -> dict[str, tuple[int, int]]:
    """Listing → (items returned, store calls made)."""
    out = {}
    headers = w.headers(w.admin)
    for template in LISTINGS:
        path = template.format(app=w.app_id)
        spy.calls.clear()
        response = w.env.client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        data = response.json()["data"]
        out[template] = (len(data) if isinstance(data, list) else 1, spy.total())
    return out


def test_list_endpoints_make_the_same_number_of_store_calls_for_3_and_12_items(
    counted: tuple[World, CountingStore],
) -> None:
    world, spy = counted
    _seed(world, 0, 3)
    few = _calls_per_listing(world, spy)
    _seed(world, 3, 12)
    many = _calls_per_listing(world, spy)
    grown = [t for t in LISTINGS if t != "/api/me"]
    assert all(many[t][0] > few[t][0] for t in grown), (few, many)
    assert {t: calls for t, (_, calls) in many.items()} == {
        t: calls for t, (_, calls) in few.items()
    }


def test_the_counting_store_sees_a_lookup_per_item_when_code_loops(
    counted: tuple[World, CountingStore],
) -> None:
    world, spy = counted
    _seed(world, 0, 4)
    members = world.repos.memberships.all({"app_id": world.app_id})
    spy.calls.clear()
    for member in members:
        world.repos.users.get(member.user_id)
    assert spy.calls["users"] == len(members) > 4
