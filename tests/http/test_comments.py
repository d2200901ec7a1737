"""Changeset comments over HTTP (DOMAIN.md §9.5; API.md §9 comments)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conman_domain.model import User
from tests.http.changeset_world import World, changeset_world

COMMENT_FIELDS = {
    "id", "changeset_id", "author_user_id", "body", "file_path", "line_number",
    "parent_comment_id", "resolved", "edited", "created_at", "updated_at",
}  # fmt: skip


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def _comment(w: World, user: User, changeset_id: str, **body: Any) -> Any:
    return w.call("POST", user, f"/changesets/{changeset_id}/comments", body)


def test_any_member_comments_and_the_body_is_stored_as_is(w: World) -> None:
    changeset_id = w.submitted()
    response = _comment(w, w.other, changeset_id, body="<b>looks</b> fine")
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == COMMENT_FIELDS
    assert data["body"] == "<b>looks</b> fine"
    assert (data["resolved"], data["edited"], data["author_user_id"]) == (False, False, w.other.id)
    assert "comment.created" in w.audit_actions()


def test_a_non_member_cannot_comment_or_read(w: World) -> None:
    changeset_id = w.submitted()
    assert _comment(w, w.stranger, changeset_id, body="hi").status_code == 403
    assert w.call("GET", w.stranger, f"/changesets/{changeset_id}/comments").status_code == 403


def test_a_file_comment_must_name_a_changed_path_of_the_diff(w: World) -> None:
    changeset_id = w.submitted(path="pages/home.json")
    ok = _comment(w, w.rev1, changeset_id, body="line", file_path="pages/home.json", line_number=1)
    assert ok.status_code == 201
    assert (ok.json()["data"]["file_path"], ok.json()["data"]["line_number"]) == (
        "pages/home.json", 1,
    )  # fmt: skip
    bad = _comment(w, w.rev1, changeset_id, body="x", file_path="pages/other.json")
    assert bad.status_code == 400


def test_a_draft_diff_reads_the_working_state(w: World) -> None:
    cs = w.create()
    w.write("draft/only.json", b"{}")
    response = _comment(w, w.author, cs["id"], body="wip", file_path="draft/only.json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    [{"body": ""}, {"body": "b" * 10_001}, {"body": "x", "line_number": 2},
     {"body": "x", "file_path": "a", "line_number": 0}, {"body": "x", "parent_comment_id": "zz"},
     {"body": "x", "colour": 1}, {"body": 5}],
)  # fmt: skip
def test_bad_comment_bodies_are_400(w: World, body: dict[str, Any]) -> None:
    changeset_id = w.submitted()
    response = w.call("POST", w.author, f"/changesets/{changeset_id}/comments", body)
    assert response.status_code == 400


def test_replies_need_a_parent_in_the_same_changeset(w: World) -> None:
    changeset_id = w.submitted()
    parent = _comment(w, w.rev1, changeset_id, body="root").json()["data"]
    reply = _comment(w, w.author, changeset_id, body="re", parent_comment_id=parent["id"])
    assert reply.status_code == 201
    assert reply.json()["data"]["parent_comment_id"] == parent["id"]
    missing = _comment(w, w.author, changeset_id, body="re", parent_comment_id="d" * 24)
    assert missing.status_code == 404
    ws = w.new_workspace(w.other, "ws/other/c")
    other = w.call("POST", w.other, "/changesets", {"workspace_id": ws.id, "title": "o"}).json()
    elsewhere = _comment(w, w.author, other["data"]["id"], body="x", parent_comment_id=parent["id"])
    assert elsewhere.status_code == 400


def test_list_is_oldest_first_and_filters_by_file(w: World) -> None:
    changeset_id = w.submitted(path="pages/home.json")
    a = _comment(w, w.rev1, changeset_id, body="a").json()["data"]
    b = _comment(w, w.rev2, changeset_id, body="b", file_path="pages/home.json").json()["data"]
    listed = w.call("GET", w.other, f"/changesets/{changeset_id}/comments").json()
    assert [c["id"] for c in listed["data"]] == [a["id"], b["id"]]
    assert listed["pagination"] == {"page": 1, "limit": 20, "total": 2}
    on_file = w.call(
        "GET", w.other, f"/changesets/{changeset_id}/comments?file_path=pages/home.json"
    ).json()
    assert [c["id"] for c in on_file["data"]] == [b["id"]]
    assert w.call("GET", w.other, f"/changesets/{changeset_id}/comments?x=1").status_code == 400


def test_the_author_edits_the_body_and_the_previous_body_is_kept(w: World) -> None:
    changeset_id = w.submitted()
    comment = _comment(w, w.rev1, changeset_id, body="first").json()["data"]
    path = f"/changesets/{changeset_id}/comments/{comment['id']}"
    response = w.call("PATCH", w.rev1, path, {"body": "second"})
    assert response.status_code == 200
    assert (response.json()["data"]["body"], response.json()["data"]["edited"]) == ("second", True)
    revisions = w.repos.comment_revisions.all({"comment_id": comment["id"]})
    assert [r.body for r in revisions] == ["first"]
    edited = [e for e in w.repos.audit.chain(w.app_id) if e.action == "comment.edited"]
    assert edited[-1].before == {"body": "first"} and edited[-1].after == {"body": "second"}


def test_others_cannot_edit_the_body_but_any_member_resolves(w: World) -> None:
    changeset_id = w.submitted()
    comment = _comment(w, w.rev1, changeset_id, body="first").json()["data"]
    path = f"/changesets/{changeset_id}/comments/{comment['id']}"
    assert w.call("PATCH", w.admin, path, {"body": "hijack"}).status_code == 403
    response = w.call("PATCH", w.other, path, {"resolved": True})
    assert response.status_code == 200
    assert response.json()["data"]["resolved"] is True
    assert response.json()["data"]["edited"] is False


def test_comment_patch_errors(w: World) -> None:
    changeset_id = w.submitted()
    comment = _comment(w, w.rev1, changeset_id, body="first").json()["data"]
    path = f"/changesets/{changeset_id}/comments/{comment['id']}"
    assert w.call("PATCH", w.rev1, path, {}).status_code == 400
    assert w.call("PATCH", w.rev1, path, {"resolved": "yes"}).status_code == 400
    assert w.call("PATCH", w.rev1, path, {"body": ""}).status_code == 400
    missing = f"/changesets/{changeset_id}/comments/{'e' * 24}"
    assert w.call("PATCH", w.rev1, missing, {"resolved": True}).status_code == 404
    assert w.call("PATCH", w.stranger, path, {"resolved": True}).status_code == 403
