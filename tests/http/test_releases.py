"""Release drafts over HTTP: list, create, read, members, reorder, assemble (API.md §11)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conman_domain.model import ChangesetState, JobType
from tests.http.changeset_world import World, changeset_world
from tests.http.queue_support import insert_changeset
from tests.http.release_world import call_release, queued

RELEASE_FIELDS = {
    "id", "app_id", "tag", "state", "source", "ordered_changeset_ids", "changesets",
    "compose_job_id", "validation_job_id", "base_sha", "composed_sha", "published_sha",
    "published_at", "published_by", "reverts_release_id", "deployed_environment_ids",
    "created_by", "created_at", "updated_at",
}  # fmt: skip


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def _create(w: World, ids: list[str]) -> dict[str, object]:
    response = call_release(w, "POST", "", {"changeset_ids": ids})
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()["data"]
    return data


def test_a_release_is_created_as_a_draft_with_positions_in_the_given_order(w: World) -> None:
    a = queued(w, "config/a.json", b"{}")
    b = queued(w, "config/b.json", b"{}")
    data = _create(w, [b.id, a.id])
    assert set(data) == RELEASE_FIELDS
    assert data["state"] == "draft_release"
    assert data["tag"] is None
    assert data["source"] == "changesets"
    assert data["ordered_changeset_ids"] == [b.id, a.id]
    assert data["changesets"] == [
        {"changeset_id": b.id, "position": 0, "title": b.title,
         "author_user_id": w.author.id, "merge_sha": None},
        {"changeset_id": a.id, "position": 1, "title": a.title,
         "author_user_id": w.author.id, "merge_sha": None},
    ]  # fmt: skip
    assert "release.created" in w.audit_actions()
    assert w.outbox_for("release_created") == {"admin@example.com"}


def test_an_empty_release_can_be_created_and_read_back(w: World) -> None:
    response = call_release(w, "POST", "", {})
    assert response.status_code == 201, response.text
    release_id = response.json()["data"]["id"]
    got = call_release(w, "GET", f"/{release_id}", user=w.author)
    assert got.status_code == 200
    assert got.json()["data"]["changesets"] == []


def test_only_config_managers_create_and_members_read(w: World) -> None:
    assert call_release(w, "POST", "", {}, user=w.author).status_code == 403
    assert call_release(w, "POST", "", {}, user=w.rev1).status_code == 403
    assert call_release(w, "GET", "", user=w.stranger).status_code == 403
    assert call_release(w, "GET", "", user=w.author).status_code == 200


def test_create_rejects_unknown_unqueued_duplicate_and_taken_changesets(w: World) -> None:
    approved = insert_changeset(w, w.author, None, ChangesetState.APPROVED)
    taken = queued(w, "config/t.json", b"{}")
    w.repos.changesets.set_fields(taken.id, taken.version, {"release_id": "f" * 24})
    fine = queued(w, "config/f.json", b"{}")
    assert call_release(w, "POST", "", {"changeset_ids": ["a" * 24]}).status_code == 404
    for ids in ([approved.id], [taken.id], [fine.id, fine.id], ["nope"]):
        response = call_release(w, "POST", "", {"changeset_ids": ids})
        assert response.status_code == 400, (ids, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    assert call_release(w, "POST", "", {"changeset_ids": None}).status_code == 400
    assert call_release(w, "POST", "", {"colour": 1}).status_code == 400
    assert w.repos.releases.count({"app_id": w.app_id}) == 0


def test_the_list_is_newest_first_and_filters_by_state(w: World) -> None:
    first = _create(w, [])
    w.env.clock.advance(seconds=1)
    second = _create(w, [])
    response = call_release(w, "GET", "", user=w.author)
    assert [r["id"] for r in response.json()["data"]] == [second["id"], first["id"]]
    assert response.json()["pagination"] == {"page": 1, "limit": 20, "total": 2}
    filtered = w.call("GET", w.author, "/releases", params={"state": "validated"})
    assert filtered.json()["data"] == []
    assert w.call("GET", w.author, "/releases", params={"state": "nope"}).status_code == 400
    assert w.call("GET", w.author, "/releases", params={"colour": "x"}).status_code == 400


def test_unknown_or_malformed_release_ids_are_not_found(w: World) -> None:
    assert call_release(w, "GET", "/" + "a" * 24).status_code == 404
    assert call_release(w, "GET", "/nope").status_code == 404


def test_members_are_removed_first_then_appended_in_order(w: World) -> None:
    a, b, c = (queued(w, f"config/{n}.json", b"{}") for n in "abc")
    release = _create(w, [a.id, b.id])
    response = call_release(
        w, "POST", f"/{release['id']}/changesets", {"remove": [a.id], "add": [c.id, a.id]}
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["ordered_changeset_ids"] == [b.id, c.id, a.id]
    assert [m["position"] for m in data["changesets"]] == [0, 1, 2]
    assert "release.changesets_modified" in w.audit_actions()


def test_member_changes_reject_bad_input(w: World) -> None:
    a, b = (queued(w, f"config/{n}.json", b"{}") for n in "ab")
    release = _create(w, [a.id])
    path = f"/{release['id']}/changesets"
    for body in ({}, {"add": [], "remove": []}, {"add": [a.id]}, {"remove": [b.id]},
                 {"add": [b.id, b.id]}):  # fmt: skip
        response = call_release(w, "POST", path, body)
        assert response.status_code == 400, (body, response.text)
    assert call_release(w, "POST", path, {"add": ["c" * 24]}).status_code == 404
    assert call_release(w, "POST", path, {"add": [b.id]}, user=w.author).status_code == 403


def test_reorder_takes_an_exact_permutation(w: World) -> None:
    a, b = (queued(w, f"config/{n}.json", b"{}") for n in "ab")
    release = _create(w, [a.id, b.id])
    path = f"/{release['id']}/reorder"
    bad = call_release(w, "POST", path, {"ordered_changeset_ids": [a.id]})
    assert bad.status_code == 400
    response = call_release(w, "POST", path, {"ordered_changeset_ids": [b.id, a.id]})
    assert response.status_code == 200, response.text
    assert [m["changeset_id"] for m in response.json()["data"]["changesets"]] == [b.id, a.id]
    assert "release.reordered" in w.audit_actions()


def test_assemble_enqueues_the_compose_job_and_freezes_the_members(w: World) -> None:
    a = queued(w, "config/a.json", b"{}")
    release = _create(w, [a.id])
    path = f"/{release['id']}"
    response = call_release(w, "POST", f"{path}/assemble")
    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert data["state"] == "assembling"
    job = w.queue.get(data["compose_job_id"])
    assert job.job_type == JobType.RELEASE_ASSEMBLE
    assert job.payload == {"release_id": release["id"]}
    assert (job.max_attempts, job.timeout_ms) == (2, 600_000)
    assert w.repos.changesets.get(a.id).release_id == release["id"]
    assert "release.assembly_started" in w.audit_actions()
    # A non-draft release can no longer change, and its members cannot be selected.
    attempts = [
        ("/changesets", {"remove": [a.id]}),
        ("/reorder", {"ordered_changeset_ids": [a.id]}),
        ("/assemble", None),
    ]
    for sub, body in attempts:
        again = call_release(w, "POST", f"{path}{sub}", body)
        assert again.status_code == 409, (sub, again.text)
        assert again.json()["error"]["code"] == "invalid_transition"
    assert call_release(w, "POST", "", {"changeset_ids": [a.id]}).status_code == 400


def test_assemble_refuses_empty_releases_and_unqueued_members(w: World) -> None:
    empty = _create(w, [])
    response = call_release(w, "POST", f"/{empty['id']}/assemble")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    a = queued(w, "config/a.json", b"{}")
    release = _create(w, [a.id])
    cs = w.repos.changesets.get(a.id)
    w.repos.changesets.set_fields(cs.id, cs.version, {"state": "conflicted"})
    response = call_release(w, "POST", f"/{release['id']}/assemble")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert call_release(w, "POST", f"/{release['id']}/assemble", {"x": 1}).status_code == 400


def test_publish_of_a_draft_is_an_invalid_transition(w: World) -> None:
    release = _create(w, [])
    response = call_release(w, "POST", f"/{release['id']}/publish")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    assert call_release(w, "POST", f"/{release['id']}/publish", user=w.author).status_code == 403


def test_a_changeset_in_an_assembling_release_cannot_be_assembled_elsewhere(w: World) -> None:
    a = queued(w, "config/a.json", b"{}")
    first = _create(w, [a.id])
    second = _create(w, [a.id])
    assert call_release(w, "POST", f"/{first['id']}/assemble").status_code == 202
    response = call_release(w, "POST", f"/{second['id']}/assemble")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    data = call_release(w, "GET", f"/{second['id']}").json()["data"]
    assert data["state"] == "draft_release"
    assert w.repos.changesets.get(a.id).release_id == first["id"]
