"""The release queue over HTTP: listing and reordering (DOMAIN.md §12.1; API.md §10).
Races during a reorder are in ``test_queue_reorder_races.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers

from conman_adapters.config import Settings
from conman_adapters.container import Container, build_container
from conman_adapters.store import MemoryStore
from conman_domain.model import Changeset, ChangesetState, RevalidationStatus
from tests.http import identity_harness
from tests.http.changeset_world import World, changeset_world
from tests.http.queue_support import get_queue, insert_changeset, positions, reorder, three_queued
from tests.http.store_spy import CountingStore

QUEUE_ITEM_FIELDS = {
    "changeset_id",
    "title",
    "author_user_id",
    "author_email",
    "workspace_branch",
    "head_sha",
    "queue_position",
    "queued_at",
    "release_id",
    "last_revalidation_status",
    "last_revalidation_job_id",
}


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def test_the_queue_lists_only_queued_changesets_by_position(w: World) -> None:
    third = insert_changeset(w, w.author, 30)
    first = insert_changeset(w, w.other, 10)
    second = insert_changeset(w, w.author, 20)
    insert_changeset(w, w.author, None, ChangesetState.APPROVED)
    insert_changeset(w, w.other, None, ChangesetState.DRAFT)
    response = get_queue(w)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["changeset_id"] for i in body["data"]] == [first.id, second.id, third.id]
    assert [i["queue_position"] for i in body["data"]] == [10, 20, 30]
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 3}


def test_a_queue_item_has_the_author_email_and_the_workspace_branch(w: World) -> None:
    cs = insert_changeset(
        w, w.other, 7, head_sha="a" * 40, last_revalidation_status=RevalidationStatus.VALID,
        last_revalidation_job_id="b" * 24,
    )  # fmt: skip
    item = get_queue(w).json()["data"][0]
    assert set(item) == QUEUE_ITEM_FIELDS
    workspace = w.repos.workspaces.get(cs.workspace_id)
    assert item == {
        "changeset_id": cs.id,
        "title": "change at 7",
        "author_user_id": w.other.id,
        "author_email": "other@example.com",
        "workspace_branch": workspace.branch_name,
        "head_sha": "a" * 40,
        "queue_position": 7,
        "queued_at": item["queued_at"],
        "release_id": None,
        "last_revalidation_status": "valid",
        "last_revalidation_job_id": "b" * 24,
    }
    assert item["queued_at"].endswith("Z") and len(item["queued_at"]) == 24


def test_a_changeset_queued_through_the_api_appears_in_the_queue(w: World) -> None:
    changeset_id = w.approved()
    queued = w.call("POST", w.author, f"/changesets/{changeset_id}/queue")
    assert queued.status_code == 200, queued.text
    items = get_queue(w, w.rev1).json()["data"]
    assert [(i["changeset_id"], i["queue_position"]) for i in items] == [(changeset_id, 1)]
    assert items[0]["workspace_branch"] == "ws/author/shop"
    assert items[0]["head_sha"] == w.changeset(changeset_id)["head_sha"]


def test_the_queue_is_paginated_with_the_real_total(w: World) -> None:
    ids = [insert_changeset(w, w.author, p).id for p in range(1, 6)]
    page_two = get_queue(w, page=2, limit=2).json()
    assert [i["changeset_id"] for i in page_two["data"]] == ids[2:4]
    assert page_two["pagination"] == {"page": 2, "limit": 2, "total": 5}
    past_end = get_queue(w, page=9, limit=2).json()
    assert (past_end["data"], past_end["pagination"]["total"]) == ([], 5)


@pytest.mark.parametrize("query", ["page=0", "limit=x", "state=queued", "page=1&page=2"])
def test_a_bad_queue_query_is_rejected(w: World, query: str) -> None:
    response = w.call("GET", w.author, f"/queue?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_another_apps_queue_is_not_listed(w: World) -> None:
    other_app = w.env.app(w.other, "other-shop")
    w.repos.changesets.insert(
        Changeset(
            id=w.env.services.deps.ids.new_id(), created_at=w.env.clock.now(),
            updated_at=w.env.clock.now(), app_id=other_app, workspace_id="c" * 24,
            author_user_id=w.other.id, created_by=w.other.id, title="elsewhere",
            state=ChangesetState.QUEUED, queue_position=1,
        )
    )  # fmt: skip
    mine = insert_changeset(w, w.author, 1)
    assert [i["changeset_id"] for i in get_queue(w).json()["data"]] == [mine.id]


def test_reorder_sets_positions_to_index_times_1000_and_audits_the_maps(w: World) -> None:
    first, second, third = three_queued(w)
    order = [third, first, second]
    response = reorder(w, {"ordered_changeset_ids": order})
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"reordered_count": 3}}
    assert positions(w) == {third: 0, first: 1000, second: 2000}
    assert [i["changeset_id"] for i in get_queue(w).json()["data"]] == order
    event = w.repos.audit.chain(w.app_id)[-1]
    assert (event.action, event.entity_type, event.entity_id) == (
        "queue.reordered",
        "queue",
        w.app_id,
    )
    assert event.actor_user_id == w.cm.id
    assert event.before == {first: 1, second: 2, third: 3}
    assert event.after == {third: 0, first: 1000, second: 2000}


def test_a_reordered_queue_still_takes_newcomers_after_the_highest_position(w: World) -> None:
    first, second = insert_changeset(w, w.author, 1).id, insert_changeset(w, w.author, 2).id
    assert reorder(w, {"ordered_changeset_ids": [second, first]}).status_code == 200
    changeset_id = w.approved()
    queued = w.call("POST", w.author, f"/changesets/{changeset_id}/queue")
    assert queued.json()["data"]["queue_position"] == 1001
    order = [i["changeset_id"] for i in get_queue(w).json()["data"]]
    assert order == [second, first, changeset_id]


def test_reordering_an_empty_queue_with_no_ids_changes_nothing(w: World) -> None:
    before = w.audit_actions()
    response = reorder(w, {"ordered_changeset_ids": []})
    assert response.json() == {"data": {"reordered_count": 0}}
    assert w.audit_actions() == before


BAD_BODIES: dict[str, Callable[[list[str], str], Any]] = {
    "missing id": lambda ids, _: {"ordered_changeset_ids": ids[:2]},
    "extra non-queued id": lambda ids, draft: {"ordered_changeset_ids": [*ids, draft]},
    "unknown id": lambda ids, _: {"ordered_changeset_ids": [*ids, "f" * 24]},
    "duplicate id": lambda ids, _: {"ordered_changeset_ids": [*ids, ids[0]]},
    "duplicate instead of one": lambda ids, _: {"ordered_changeset_ids": [*ids[:2], ids[0]]},
    "malformed id": lambda ids, _: {"ordered_changeset_ids": [*ids[:2], "XYZ"]},
    "uppercase id": lambda ids, _: {"ordered_changeset_ids": [*ids[:2], ids[2].upper()]},
    "no field": lambda ids, _: {},
    "unknown field": lambda ids, _: {"ordered_changeset_ids": ids, "force": True},
    "not a list": lambda ids, _: {"ordered_changeset_ids": ",".join(ids)},
    "not strings": lambda ids, _: {"ordered_changeset_ids": [1, 2, 3]},
    "null": lambda ids, _: {"ordered_changeset_ids": None},
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_a_reorder_that_is_not_an_exact_permutation_is_rejected_without_writes(
    w: World, case: str
) -> None:
    ids = three_queued(w)
    draft = insert_changeset(w, w.author, None, ChangesetState.DRAFT).id
    before, actions = positions(w), w.audit_actions()
    response = reorder(w, BAD_BODIES[case](ids, draft))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"]["fields"], error
    assert positions(w) == before
    assert w.audit_actions() == actions


def test_a_missing_id_is_named_in_the_error(w: World) -> None:
    ids = three_queued(w)
    error = reorder(w, {"ordered_changeset_ids": ids[:2]}).json()["error"]
    assert any(ids[2] in f["message"] for f in error["details"]["fields"]), error


@pytest.mark.parametrize("who", ["author", "rev1", "cm", "admin"])
def test_every_member_lists_the_queue(w: World, who: str) -> None:
    insert_changeset(w, w.author, 1)
    assert get_queue(w, getattr(w, who)).status_code == 200


def test_a_stranger_cannot_list_the_queue(w: World) -> None:
    assert get_queue(w, w.stranger).status_code == 403


@pytest.mark.parametrize("who", ["author", "other", "rev1", "stranger"])
def test_users_and_reviewers_cannot_reorder_even_with_a_bad_body(w: World, who: str) -> None:
    ids = three_queued(w)
    before = positions(w)
    assert reorder(w, {"ordered_changeset_ids": ids}, getattr(w, who)).status_code == 403
    assert reorder(w, {"bogus": 1}, getattr(w, who)).status_code == 403
    assert positions(w) == before


@pytest.mark.parametrize("who", ["cm", "admin"])
def test_config_managers_and_admins_reorder(w: World, who: str) -> None:
    ids = three_queued(w)
    response = reorder(w, {"ordered_changeset_ids": ids[::-1]}, getattr(w, who))
    assert response.status_code == 200, response.text
    assert positions(w)[ids[2]] == 0


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


def _listing_calls(w: World, spy: CountingStore) -> tuple[int, dict[str, int]]:
    spy.calls.clear()
    response = get_queue(w, w.admin, limit=100)
    assert response.status_code == 200, response.text
    return len(response.json()["data"]), dict(spy.calls)


def test_listing_the_queue_reads_users_and_workspaces_once_whatever_its_length(
    counted: tuple[World, CountingStore],
) -> None:
    w, spy = counted
    for position in range(1, 4):
        insert_changeset(w, w.author if position % 2 else w.other, position)
    few, few_calls = _listing_calls(w, spy)
    for position in range(4, 13):
        insert_changeset(w, w.author if position % 2 else w.other, position)
    many, many_calls = _listing_calls(w, spy)
    assert (few, many) == (3, 12)
    assert many_calls == few_calls
    assert many_calls["workspaces"] == 1
