"""Workspaces over HTTP (API.md §8.1, §8.2; DOMAIN.md §8.1, §8.5, §8.6)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conman_domain.usecases.apps import repo_ref
from tests.http.changeset_world import World, changeset_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as w:
        yield w


def _create(world: World, user: Any, **body: Any) -> Any:
    return world.call("POST", user, "/workspaces", body)


def _dirty(world: World, workspace_id: str) -> None:
    response = world.call(
        "PUT",
        world.author,
        f"/workspaces/{workspace_id}/files",
        {"path": "config/a.json", "content": "{}", "encoding": "utf-8"},
    )
    assert response.status_code == 200, response.text


def test_creating_without_a_branch_name_makes_the_callers_default_workspace(world: World) -> None:
    response = _create(world, world.other, title="Mine")
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["branch_name"] == "ws/other/shop"
    assert data["is_default"] is True
    assert data["title"] == "Mine"
    assert data["dirty"] is False
    assert data["head_sha"] == data["working_sha"] == data["base_sha"] == world.integration_head()
    assert data["effective_commit_mode"] == "submit_commit"
    branch = world.git.resolve(repo_ref(world.app), "refs/heads/ws/other/shop")
    assert branch == world.integration_head()
    assert "workspace.created" in world.audit_actions()


def test_a_second_default_workspace_is_a_conflict(world: World) -> None:
    assert _create(world, world.other).status_code == 201
    response = _create(world, world.other)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_an_extra_workspace_takes_its_branch_name_and_a_taken_name_conflicts(
    world: World,
) -> None:
    response = _create(world, world.other, branch_name="feature/payments")
    assert response.status_code == 201, response.text
    assert response.json()["data"]["is_default"] is False
    assert response.json()["data"]["branch_name"] == "feature/payments"
    again = _create(world, world.author, branch_name="feature/payments")
    assert again.status_code == 409
    taken = _create(world, world.author, branch_name="ws/author/shop")
    assert taken.status_code == 409


@pytest.mark.parametrize(
    "name",
    ["../evil", "-x", "a b", "a;b", "$(x)", "main", "refs/x", "env/x", "a..b", "x.lock", "", "a/"],
)
def test_a_bad_branch_name_is_rejected_with_400(world: World, name: str) -> None:
    response = _create(world, world.other, branch_name=name)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "validation_error"


def test_create_rejects_unknown_fields_wrong_types_and_long_titles(world: World) -> None:
    assert _create(world, world.other, colour="red").status_code == 400
    assert _create(world, world.other, title=5).status_code == 400
    assert _create(world, world.other, title=None).status_code == 400
    assert _create(world, world.other, title="x" * 201).status_code == 400
    assert _create(world, world.other, title="x" * 200).status_code == 201


def test_list_is_paginated_newest_first_and_filters_by_owner(world: World) -> None:
    first = _create(world, world.other, branch_name="o/one").json()["data"]
    second = _create(world, world.other, branch_name="o/two").json()["data"]
    response = world.call("GET", world.rev1, "/workspaces", params={"limit": 2})
    assert response.status_code == 200
    body = response.json()
    assert [w["id"] for w in body["data"]] == [second["id"], first["id"]]
    assert body["pagination"] == {"page": 1, "limit": 2, "total": 3}
    mine = world.call("GET", world.rev1, "/workspaces", params={"owner_user_id": world.author.id})
    assert [w["id"] for w in mine.json()["data"]] == [world.workspace.id]


def test_list_rejects_unknown_and_malformed_query_parameters(world: World) -> None:
    assert world.call("GET", world.author, "/workspaces", params={"x": "1"}).status_code == 400
    bad = world.call("GET", world.author, "/workspaces", params={"owner_user_id": "nope"})
    assert bad.status_code == 400


def test_any_member_reads_a_workspace_and_strangers_are_forbidden(world: World) -> None:
    path = f"/workspaces/{world.workspace.id}"
    response = world.call("GET", world.rev2, path)
    assert response.status_code == 200
    assert response.json()["data"]["branch_name"] == "ws/author/shop"
    assert world.call("GET", world.stranger, path).status_code == 403


def test_a_workspace_of_another_app_or_a_malformed_id_is_not_found(world: World) -> None:
    other_app = world.env.app(world.admin, name="blog")
    response = world.env.client.post(
        f"/api/apps/{other_app}/workspaces", json={}, headers=world.headers(world.admin)
    )
    assert response.status_code == 201, response.text
    foreign = response.json()["data"]["id"]
    assert world.call("GET", world.admin, f"/workspaces/{foreign}").status_code == 404
    assert (
        world.call("PATCH", world.admin, f"/workspaces/{foreign}", {"title": "x"}).status_code
        == 404
    )
    assert world.call("GET", world.admin, "/workspaces/not-an-id").status_code == 404


def test_the_owner_and_an_app_admin_retitle_a_workspace_but_others_cannot(world: World) -> None:
    path = f"/workspaces/{world.workspace.id}"
    response = world.call("PATCH", world.author, path, {"title": "Payments"})
    assert response.status_code == 200
    assert response.json()["data"]["title"] == "Payments"
    for user in (world.other, world.rev1, world.cm):
        assert world.call("PATCH", user, path, {"title": "Mine"}).status_code == 403
    cleared = world.call("PATCH", world.admin, path, {"title": None})
    assert cleared.status_code == 200
    assert cleared.json()["data"]["title"] is None
    assert world.call("PATCH", world.author, path, {"title": "x" * 201}).status_code == 400
    assert world.call("PATCH", world.author, path, {}).status_code == 400
    assert world.audit_actions().count("workspace.updated") == 2


def test_reset_of_a_dirty_workspace_needs_discard_uncommitted(world: World) -> None:
    ws = world.workspace.id
    _dirty(world, ws)
    refused = world.call("POST", world.author, f"/workspaces/{ws}/reset", {})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "uncommitted_changes"
    assert refused.json()["error"]["details"] == {"workspace_id": ws}
    assert world.call("POST", world.other, f"/workspaces/{ws}/reset", {}).status_code == 403
    done = world.call(
        "POST", world.author, f"/workspaces/{ws}/reset", {"discard_uncommitted": True}
    )
    assert done.status_code == 200, done.text
    data = done.json()["data"]
    assert data["dirty"] is False
    assert data["head_sha"] == data["working_sha"] == world.integration_head()
    assert world.git.resolve(repo_ref(world.app), f"refs/conman/autosave/{ws}") is None
    assert "workspace.reset" in world.audit_actions()


def test_reset_moves_a_clean_branch_back_to_the_baseline(world: World) -> None:
    world.commit_branch("config/x.json", b"1")
    response = world.call("POST", world.author, f"/workspaces/{world.workspace.id}/reset")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["head_sha"] == world.integration_head()
    assert (
        world.call(
            "POST", world.author, f"/workspaces/{world.workspace.id}/reset", {"discard": True}
        ).status_code
        == 400
    )


def test_sync_when_up_to_date_is_a_clean_no_op(world: World) -> None:
    response = world.call(
        "POST", world.author, f"/workspaces/{world.workspace.id}/sync-integration"
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["clean"] is True
    assert data["conflicting_paths"] == []
    assert data["head_sha"] == world.integration_head()


def test_sync_merges_the_integration_head_and_replays_the_working_state(world: World) -> None:
    ws = world.workspace.id
    world.commit_branch("config/mine.json", b"{}")
    _dirty(world, ws)
    integration = world.commit_branch("config/theirs.json", b"{}", branch="main")
    response = world.call("POST", world.author, f"/workspaces/{ws}/sync-integration")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["clean"] is True
    repo = repo_ref(world.app)
    assert world.git.is_ancestor(repo, integration, data["head_sha"])
    assert data["working_sha"] != data["head_sha"]
    assert world.git.get_entry(repo, data["working_sha"], "config/a.json") is not None
    assert world.git.get_entry(repo, data["working_sha"], "config/theirs.json") is not None
    view = world.call("GET", world.rev1, f"/workspaces/{ws}").json()["data"]
    assert view["base_sha"] == integration
    assert view["dirty"] is True
    assert "workspace.synced_integration" in world.audit_actions()
    assert world.call("POST", world.other, f"/workspaces/{ws}/sync-integration").status_code == 403
    body = world.call("POST", world.author, f"/workspaces/{ws}/sync-integration", {"x": 1})
    assert body.status_code == 400


def test_sync_reports_conflicting_paths_and_changes_nothing(world: World) -> None:
    ws = world.workspace.id
    before = world.commit_branch("config/a.json", b'{"v": "mine"}')
    world.commit_branch("config/a.json", b'{"v": "theirs"}', branch="main")
    response = world.call("POST", world.author, f"/workspaces/{ws}/sync-integration")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["clean"] is False
    assert data["conflicting_paths"] == ["config/a.json"]
    assert data["head_sha"] == before
    assert world.git.resolve(repo_ref(world.app), "refs/heads/ws/author/shop") == before
