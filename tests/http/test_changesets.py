"""Changesets over HTTP (API.md §9): create, list, get, PATCH, move-to-draft, with RBAC."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conman_domain.model import ChangesetState
from tests.http.changeset_world import World, changeset_world

CHANGESET_FIELDS = {
    "id", "app_id", "workspace_id", "author_user_id", "created_by", "title", "description",
    "state", "base_sha", "head_sha", "current_revision", "approval_count",
    "required_approval_count", "last_submit_job_id", "last_revalidation_status",
    "last_revalidation_details", "last_revalidation_job_id", "queue_position", "queued_at",
    "release_id", "created_at", "updated_at",
}  # fmt: skip


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def test_create_returns_a_draft_authored_by_the_workspace_owner(w: World) -> None:
    cs = w.create(title="Add pages", description="why")
    assert set(cs) == CHANGESET_FIELDS
    assert cs["state"] == "draft"
    assert (cs["current_revision"], cs["approval_count"]) == (0, 0)
    assert cs["author_user_id"] == w.author.id
    assert cs["created_by"] == w.author.id
    assert cs["description"] == "why"
    assert cs["created_at"].endswith("Z") and len(cs["created_at"]) == 24
    assert "changeset.created" in w.audit_actions()


def test_config_manager_creates_for_someone_elses_workspace_with_the_owner_as_author(
    w: World,
) -> None:
    cs = w.create(user=w.cm)
    assert cs["author_user_id"] == w.author.id
    assert cs["created_by"] == w.cm.id


@pytest.mark.parametrize("who", ["other", "rev1"])
def test_members_below_config_manager_cannot_create_from_another_workspace(
    w: World, who: str
) -> None:
    body = {"workspace_id": w.workspace.id, "title": "x"}
    response = w.call("POST", getattr(w, who), "/changesets", body)
    assert response.status_code == 403


def test_a_non_member_gets_403_on_every_changeset_route(w: World) -> None:
    cs = w.create()
    for method, path in [
        ("GET", "/changesets"),
        ("GET", f"/changesets/{cs['id']}"),
        ("POST", "/changesets"),
        ("GET", f"/changesets/{cs['id']}/revisions"),
        ("GET", f"/changesets/{cs['id']}/reviews"),
    ]:
        assert w.call(method, w.stranger, path).status_code == 403, path


def test_a_second_open_changeset_on_the_same_workspace_is_a_conflict(w: World) -> None:
    w.create()
    response = w.call(
        "POST", w.author, "/changesets", {"workspace_id": w.workspace.id, "title": "again"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_unknown_or_foreign_workspace_is_404(w: World) -> None:
    response = w.call("POST", w.author, "/changesets", {"workspace_id": "f" * 24, "title": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"workspace_id": "nothex", "title": "x"},
        {"workspace_id": "a" * 24, "title": ""},
        {"workspace_id": "a" * 24, "title": "t" * 201},
        {"workspace_id": "a" * 24, "title": "x", "description": "d" * 20_001},
        {"workspace_id": "a" * 24, "title": "x", "colour": "red"},
        {"title": "x"},
        {"workspace_id": "a" * 24, "title": 5},
    ],
)
def test_bad_create_bodies_are_400(w: World, body: dict[str, object]) -> None:
    response = w.call("POST", w.author, "/changesets", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_title_of_exactly_200_and_description_of_20000_are_accepted(w: World) -> None:
    cs = w.create(title="t" * 200, description="d" * 20_000)
    assert len(cs["title"]) == 200


def test_list_filters_by_state_author_and_workspace(w: World) -> None:
    first = w.create(title="one")
    ws2 = w.new_workspace(w.other, "ws/other/shop")
    second = w.call(
        "POST", w.other, "/changesets", {"workspace_id": ws2.id, "title": "two"}
    ).json()["data"]
    listed = w.call("GET", w.rev1, "/changesets").json()
    assert listed["pagination"]["total"] == 2
    assert [c["id"] for c in listed["data"]] == [second["id"], first["id"]]  # updated_at desc
    by_author = w.call("GET", w.rev1, f"/changesets?author_user_id={w.other.id}").json()
    assert [c["id"] for c in by_author["data"]] == [second["id"]]
    by_ws = w.call("GET", w.rev1, f"/changesets?workspace_id={w.workspace.id}").json()
    assert [c["id"] for c in by_ws["data"]] == [first["id"]]
    drafts = w.call("GET", w.rev1, "/changesets?state=draft,queued").json()
    assert drafts["pagination"]["total"] == 2
    none = w.call("GET", w.rev1, "/changesets?state=approved").json()
    assert none["data"] == [] and none["pagination"]["total"] == 0


@pytest.mark.parametrize(
    "query", ["state=bogus", "state=draft,bogus", "author_user_id=xyz", "colour=red", "page=0"]
)
def test_bad_list_queries_are_400(w: World, query: str) -> None:
    assert w.call("GET", w.author, f"/changesets?{query}").status_code == 400


def test_get_of_unknown_malformed_or_foreign_changeset_is_404(w: World) -> None:
    assert w.call("GET", w.author, f"/changesets/{'a' * 24}").status_code == 404
    assert w.call("GET", w.author, "/changesets/xyz").status_code == 404
    other_app = w.env.app(w.admin, name="other")
    cs = w.create()
    response = w.env.client.get(
        f"/api/apps/{other_app}/changesets/{cs['id']}", headers=w.headers(w.admin)
    )
    assert response.status_code == 404


def test_patch_by_author_changes_title_and_description(w: World) -> None:
    cs = w.create()
    response = w.call("PATCH", w.author, f"/changesets/{cs['id']}", {"title": "New"})
    assert response.status_code == 200
    assert response.json()["data"]["title"] == "New"
    response = w.call("PATCH", w.cm, f"/changesets/{cs['id']}", {"description": "by cm"})
    assert response.json()["data"]["description"] == "by cm"
    assert w.audit_actions().count("changeset.updated") == 2


def test_patch_rules(w: World) -> None:
    cs = w.create()
    path = f"/changesets/{cs['id']}"
    assert w.call("PATCH", w.other, path, {"title": "x"}).status_code == 403
    assert w.call("PATCH", w.rev1, path, {"title": "x"}).status_code == 403
    assert w.call("PATCH", w.author, path, {}).status_code == 400
    assert w.call("PATCH", w.author, path, {"title": ""}).status_code == 400
    assert w.call("PATCH", w.author, path, {"state": "approved"}).status_code == 400


def test_patch_of_a_submitted_changeset_is_an_invalid_transition(w: World) -> None:
    changeset_id = w.submitted()
    response = w.call("PATCH", w.author, f"/changesets/{changeset_id}", {"title": "late"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_move_to_draft_after_changes_requested_clears_approvals(w: World) -> None:
    changeset_id = w.submitted()
    review = w.call(
        "POST", w.rev1, f"/changesets/{changeset_id}/review", {"decision": "changes_requested"}
    )
    assert review.json()["data"]["changeset"]["state"] == "changes_requested"
    assert w.call("POST", w.other, f"/changesets/{changeset_id}/move-to-draft").status_code == 403
    assert w.call("POST", w.rev1, f"/changesets/{changeset_id}/move-to-draft").status_code == 403
    response = w.call("POST", w.author, f"/changesets/{changeset_id}/move-to-draft")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["state"] == ChangesetState.DRAFT
    assert data["approval_count"] == 0 and data["queue_position"] is None
    assert "changeset.moved_to_draft" in w.audit_actions()


def test_config_manager_moves_any_changeset_to_draft(w: World) -> None:
    changeset_id = w.submitted()
    w.call("POST", w.rev1, f"/changesets/{changeset_id}/review", {"decision": "changes_requested"})
    response = w.call("POST", w.cm, f"/changesets/{changeset_id}/move-to-draft")
    assert response.status_code == 200


def test_move_to_draft_from_draft_or_submitted_is_an_invalid_transition(w: World) -> None:
    cs = w.create()
    response = w.call("POST", w.author, f"/changesets/{cs['id']}/move-to-draft")
    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"from": "draft", "to": "draft"}


def test_move_to_draft_takes_no_body(w: World) -> None:
    cs = w.create()
    response = w.call("POST", w.author, f"/changesets/{cs['id']}/move-to-draft", {"x": 1})
    assert response.status_code == 400
