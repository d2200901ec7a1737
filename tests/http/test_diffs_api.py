"""Changeset diffs over HTTP: range, raw and semantic (API.md §9; DOMAIN.md §9.5, §10)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.http.changeset_world import SECRET, World, changeset_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as w:
        yield w


def _diff(world: World, changeset_id: str, user: Any = None, **params: str) -> Any:
    response = world.call(
        "GET", user or world.other, f"/changesets/{changeset_id}/diff", params=params
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _overrides(world: World, changeset_id: str) -> None:
    production = next(e for e in world.environments() if e.is_canonical)
    body = {
        "overrides": [
            {
                "target_environment_id": production.id,
                "env_vars": {"FEATURE_X": {"type": "boolean", "value": True}},
                "secrets": {"API_TOKEN": SECRET},
            }
        ]
    }
    response = world.call(
        "PUT", world.author, f"/changesets/{changeset_id}/profile-overrides", body
    )
    assert response.status_code == 200, response.text


def test_a_draft_diffs_the_working_state_against_the_merge_base(world: World) -> None:
    fork = world.integration_head()
    cs = world.create()
    world.write("entities/pay.json", b'{"name": "Pay", "retries": 1}\n')
    later = world.commit_branch("config/other.json", b"{}", branch="main")
    data = _diff(world, cs["id"])
    assert data["base_sha"] == fork != later
    working = world.write("entities/pay.json", b'{"name": "Pay", "retries": 2}\n')
    assert data["head_sha"] != working
    data = _diff(world, cs["id"])
    assert data["head_sha"] == working
    assert data["stats"] == [
        {"path": "entities/pay.json", "old_path": None, "additions": 1, "deletions": 0}
    ]
    assert "+++ b/entities/pay.json" in data["patch"]
    assert '+{"name": "Pay", "retries": 2}' in data["patch"]
    assert "config/other.json" not in data["patch"]


def test_a_submitted_changeset_diffs_its_frozen_head(world: World) -> None:
    changeset_id = world.submitted("entities/a.json", b'{"name": "A"}')
    head = world.changeset(changeset_id)["head_sha"]
    world.write("entities/b.json", b'{"name": "B"}')
    data = _diff(world, changeset_id, mode="raw")
    assert data["head_sha"] == head
    assert [s["path"] for s in data["stats"]] == ["entities/a.json"]


def test_binary_files_and_renames_are_reported_in_the_raw_diff(world: World) -> None:
    world.commit_branch("pages/home.json", b'{"name": "Home", "title": "Welcome home"}\n', "main")
    created = world.call("POST", world.other, "/workspaces", {})
    assert created.status_code == 201, created.text
    ws_id = created.json()["data"]["id"]
    cs = world.call("POST", world.other, "/changesets", {"workspace_id": ws_id, "title": "Move"})
    assert cs.status_code == 201, cs.text
    files = f"/workspaces/{ws_id}/files"
    delete = world.call("DELETE", world.other, files, {"path": "pages/home.json"})
    assert delete.status_code == 200
    move = {"path": "pages/start.json", "encoding": "utf-8",
            "content": '{"name": "Home", "title": "Welcome home"}\n'}  # fmt: skip
    assert world.call("PUT", world.other, files, move).status_code == 200
    blob = {"path": "assets/logo.png", "content": "iVBORw0KGgoAAAANSUhEUgAA"}
    assert world.call("PUT", world.other, files, blob).status_code == 200
    data = _diff(world, cs.json()["data"]["id"], user=world.author)
    stats = {s["path"]: s for s in data["stats"]}
    assert stats["pages/start.json"]["old_path"] == "pages/home.json"
    assert stats["assets/logo.png"]["additions"] == 0
    assert "\nBinary files differ\n" in data["patch"]
    semantic = _diff(world, cs.json()["data"]["id"], mode="semantic")
    moved = [c for c in semantic["changes"] if c["operation"] == "moved"]
    assert moved[0]["filePath"] == "pages/start.json"
    assert moved[0]["details"]["oldPath"] == "pages/home.json"


def test_the_semantic_diff_is_camel_case_with_key_paths_and_typed_changes(world: World) -> None:
    world.commit_branch("entities/pay.json", b'{"name": "Pay", "fields": {"retry": 1}}', "main")
    created = world.call("POST", world.other, "/workspaces", {}).json()["data"]
    cs = world.call(
        "POST", world.other, "/changesets", {"workspace_id": created["id"], "title": "t"}
    ).json()["data"]
    body = {"path": "entities/pay.json", "encoding": "utf-8",
            "content": '{"name": "Pay", "fields": {"retry": "1", "limit": 5}}'}  # fmt: skip
    assert (
        world.call("PUT", world.other, f"/workspaces/{created['id']}/files", body).status_code
        == 200
    )
    data = _diff(world, cs["id"], mode="semantic")
    assert set(data) == {"baseSha", "headSha", "summary", "changes", "profileOverrideChanges"}
    assert data["summary"]["totalChanges"] == 2
    assert data["summary"]["byConfigType"]["entity"] == 2
    assert len(data["summary"]["byConfigType"]) == 10
    by_key = {c["details"]["keyPath"]: c for c in data["changes"]}
    assert by_key["fields.limit"]["operation"] == "added"
    assert by_key["fields.limit"]["details"]["after"] == 5
    retry = by_key["fields.retry"]
    assert retry["operation"] == "modified"
    assert retry["details"]["typeChanged"] is True
    assert retry["configType"] == "entity"
    assert retry["target"] == "Pay"
    assert len(retry["id"]) == 16


def test_override_changes_come_from_stored_overrides_then_the_revision_without_secret_values(
    world: World,
) -> None:
    cs = world.create()
    world.write("config/a.json", b"{}")
    _overrides(world, cs["id"])
    draft = world.call(
        "GET", world.rev1, f"/changesets/{cs['id']}/diff", params={"mode": "semantic"}
    )
    assert SECRET not in draft.text
    kinds = {
        (c["kind"], c["key"], c["operation"])
        for c in draft.json()["data"]["profileOverrideChanges"]
    }
    assert kinds == {("envVar", "FEATURE_X", "added"), ("secret", "API_TOKEN", "added")}
    changes = draft.json()["data"]["profileOverrideChanges"]
    secret = next(c for c in changes if c["kind"] == "secret")
    assert "after" not in secret and "before" not in secret
    assert secret["environmentName"] == "Production"
    submitted = world.call("POST", world.author, f"/changesets/{cs['id']}/submit")
    assert submitted.status_code == 200, submitted.text
    frozen = _diff(world, cs["id"], mode="semantic")
    assert len(frozen["profileOverrideChanges"]) == 2
    raw = world.call("GET", world.rev1, f"/changesets/{cs['id']}/diff")
    assert SECRET not in raw.text


def test_diff_query_and_scope_errors(world: World) -> None:
    cs = world.create()
    path = f"/changesets/{cs['id']}/diff"
    assert world.call("GET", world.author, path, params={"mode": "fancy"}).status_code == 400
    assert world.call("GET", world.author, path, params={"colour": "x"}).status_code == 400
    assert world.call("GET", world.stranger, path).status_code == 403
    assert world.call("GET", world.author, "/changesets/nope/diff").status_code == 404
    missing = world.call("GET", world.author, f"/changesets/{'a' * 24}/diff")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == f"not found: changeset {'a' * 24}"
    other_app = world.env.app(world.admin, name="blog")
    foreign = world.env.client.get(
        f"/api/apps/{other_app}/changesets/{cs['id']}/diff", headers=world.headers(world.admin)
    )
    assert foreign.status_code == 404
