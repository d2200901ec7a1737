"""Files of a workspace over HTTP (API.md §1.8, §1.9, §8.1, §8.2; DOMAIN.md §8.2, §8.3)."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import msgspec
import pytest
from dependency_injector import providers

from conman_domain.gitmodel import ZERO_OID, FileAction, RepoRef
from conman_domain.model import CommitMode
from conman_domain.ports.git import GitPort
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.workspace_context import WorkspaceDeps
from tests.http.changeset_world import World, changeset_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as w:
        yield w


def _files(world: World) -> str:
    return f"/workspaces/{world.workspace.id}/files"


def _put(world: World, path: str, text: str = "{}", user: Any = None, **extra: Any) -> Any:
    body = {"path": path, "content": text, "encoding": "utf-8", **extra}
    return world.call("PUT", user or world.author, _files(world), body)


def _read(world: World, user: Any = None, **params: str) -> Any:
    return world.call("GET", user or world.rev1, _files(world), params=params)


def _set_settings(world: World, **changes: Any) -> None:
    app = world.app
    app.settings = msgspec.structs.replace(app.settings, **changes)
    world.env.repos.apps.save(app)


def _autosave(world: World) -> str | None:
    return world.git.resolve(repo_ref(world.app), f"refs/conman/autosave/{world.workspace.id}")


def test_a_write_creates_then_updates_a_file_with_one_autosave_commit_each(world: World) -> None:
    first = _put(world, "entities/a.json", '{"name": "A"}')
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    assert data["created"] is True
    assert data["size"] == 13
    assert data["commit_sha"] == data["working_sha"] == _autosave(world)
    second = _put(world, "entities/a.json", '{"name": "B"}', message="Rename")
    assert second.json()["data"]["created"] is False
    commit = world.git.find_commit(repo_ref(world.app), second.json()["data"]["commit_sha"])
    assert commit is not None
    assert commit.message.strip() == "Rename"
    assert commit.parents == [data["commit_sha"]]
    view = world.call("GET", world.author, f"/workspaces/{world.workspace.id}").json()["data"]
    assert view["dirty"] is True
    assert view["working_sha"] == second.json()["data"]["commit_sha"]
    assert world.audit_actions().count("file.written") == 2
    events = world.env.repos.audit.chain(world.app_id)
    written = next(e for e in events if e.action == "file.written")
    assert written.after == {"path": "entities/a.json", "size": 13, "created": True}


def test_content_is_base64_by_default_and_read_back_in_either_encoding(world: World) -> None:
    raw = b"\xff\x00binary"
    body = {"path": "assets/logo.bin", "content": base64.b64encode(raw).decode()}
    assert world.call("PUT", world.author, _files(world), body).status_code == 200
    assert _put(world, "config/app.yaml", "name: shop\n").status_code == 200
    text = _read(world, path="config/app.yaml", encoding="utf-8").json()["data"]
    assert text["encoding"] == "utf-8"
    assert text["content"] == "name: shop\n"
    assert text["type"] == "file"
    assert text["size"] == 11
    b64 = _read(world, path="config/app.yaml").json()["data"]
    assert b64["encoding"] == "base64"
    assert base64.b64decode(b64["content"]) == b"name: shop\n"
    fallback = _read(world, path="assets/logo.bin", encoding="utf-8").json()["data"]
    assert fallback["encoding"] == "base64"
    assert base64.b64decode(fallback["content"]) == raw
    assert _read(world, path="config/app.yaml", encoding="latin-1").status_code == 400


@pytest.mark.parametrize("content", ["not base64!", "YQ", "YQ==\n", " YQ=="])
def test_invalid_base64_is_rejected(world: World, content: str) -> None:
    response = world.call("PUT", world.author, _files(world), {"path": "a.txt", "content": content})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_a_directory_lists_directories_first_then_files_by_name_whole_or_by_page(
    world: World,
) -> None:
    for path in ("b.txt", "A.txt", "entities/x.json", "config/y.json", "a.txt"):
        assert _put(world, path).status_code == 200
    root = _read(world, path="/")
    assert root.status_code == 200
    body = root.json()
    names = [e["name"] for e in body["data"]["entries"]]
    assert names[:2] == ["config", "entities"]
    assert names[2:5] == ["A.txt", "a.txt", "b.txt"]
    assert body["data"]["type"] == "dir"
    assert "pagination" not in body  # the whole level, in API.md §8.2's shape
    assert all(e["size"] == 0 for e in body["data"]["entries"] if e["type"] == "dir")
    assert _read(world).json()["data"] == body["data"]
    page = _read(world, path="", limit="2", page="2").json()
    assert [e["name"] for e in page["data"]["entries"]] == ["A.txt", "a.txt"]
    assert page["pagination"] == {"page": 2, "limit": 2, "total": len(names)}
    sub = _read(world, path="entities").json()["data"]
    assert sub["entries"] == [
        {"path": "entities/x.json", "name": "x.json", "type": "file", "size": 2,
         "oid": sub["entries"][0]["oid"]},
    ]  # fmt: skip


def test_reading_a_missing_path_is_not_found(world: World) -> None:
    response = _read(world, path="nope/x.json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    ["", "/a.json", "a//b", "a/./b", "a/../b", "..", "a\\b", "a\x01b", "a\x7fb", "a%2eb",
     "a%2Fb", "a%5cb", "x/" + "y" * 4095],
)  # fmt: skip
def test_a_malformed_path_is_rejected_on_write(world: World, path: str) -> None:
    response = _put(world, path)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "validation_error"


def test_reads_decode_the_query_exactly_once_and_reject_malformed_paths(world: World) -> None:
    base = f"/api/apps/{world.app_id}{_files(world)}"
    headers = world.headers(world.rev1)
    for query in ("path=a%252eb", "path=%2Fx", "path=a%2F%2Fb", "path=..", "path=a%5Cb"):
        response = world.env.client.get(f"{base}?{query}", headers=headers)
        assert response.status_code == 400, query
    assert world.env.client.get(f"{base}?path=a&path=b", headers=headers).status_code == 400


@pytest.mark.parametrize(
    ("path", "pattern"),
    [(".git/config", ".git"), ("src/.GIT/x", ".git"), (".gitignore", ".gitignore"),
     (".github/workflows/ci.yml", ".github/**")],
)  # fmt: skip
def test_writing_or_deleting_a_blocked_path_is_forbidden(
    world: World, path: str, pattern: str
) -> None:
    response = _put(world, path)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == f"path is blocked by app policy: `{pattern}`"
    deleted = world.call("DELETE", world.author, _files(world), {"path": path})
    assert deleted.status_code == 403


def test_paths_like_the_blocked_ones_but_elsewhere_are_allowed(world: World) -> None:
    for path in ("src/.gitignore", "src/.gitkeep", "config/app.json"):
        assert _put(world, path).status_code == 200, path


def test_a_custom_blocked_glob_applies_to_writes_only(world: World) -> None:
    assert _put(world, "secrets/prod.env", "x").status_code == 200
    _set_settings(world, blocked_paths=["secrets/*"])
    assert _put(world, "secrets/prod.env", "y").status_code == 403
    assert _read(world, path="secrets/prod.env").status_code == 200


def test_the_decoded_size_may_equal_but_not_exceed_the_apps_limit(world: World) -> None:
    _set_settings(world, file_size_limit_bytes=10)
    assert _put(world, "a.txt", "x" * 10).status_code == 200
    assert _put(world, "empty.txt", "").status_code == 200
    too_big = _put(world, "b.txt", "x" * 11)
    assert too_big.status_code == 400
    assert too_big.json()["error"]["code"] == "validation_error"
    encoded = {"path": "c.bin", "content": base64.b64encode(b"y" * 11).decode()}
    assert world.call("PUT", world.author, _files(world), encoded).status_code == 400


def test_a_body_over_the_files_route_limit_is_413_after_authentication(world: World) -> None:
    big = "x" * (10 * 1024 * 1024 + 10)
    response = _put(world, "big.txt", big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    url = f"/api/apps/{world.app_id}{_files(world)}"
    anonymous = world.env.client.put(url, json={"path": "big.txt", "content": big})
    assert anonymous.status_code == 401
    other_route = world.call("DELETE", world.author, _files(world), {"path": big})
    assert other_route.status_code == 413


def test_a_large_app_limit_admits_bodies_above_ten_mebibytes(world: World) -> None:
    _set_settings(world, file_size_limit_bytes=12 * 1024 * 1024)
    content = base64.b64encode(b"z" * (11 * 1024 * 1024)).decode()
    body = {"path": "big.bin", "content": content}
    response = world.call("PUT", world.author, _files(world), body)
    assert response.status_code == 200, response.text[:200]
    assert response.json()["data"]["size"] == 11 * 1024 * 1024


def test_message_and_body_fields_are_validated(world: World) -> None:
    assert _put(world, "a.txt", message="m" * 501).status_code == 400
    assert _put(world, "a.txt", message="").status_code == 400
    assert _put(world, "a.txt", colour="red").status_code == 400
    assert _put(world, "a.txt", encoding="latin-1").status_code == 400
    assert world.call("PUT", world.author, _files(world), {"path": "a.txt"}).status_code == 400


def test_only_the_owner_or_an_app_admin_writes_a_workspace(world: World) -> None:
    for user in (world.other, world.rev1, world.cm):
        assert _put(world, "a.txt", user=user).status_code == 403
    assert _put(world, "a.txt", user=world.stranger).status_code == 403
    assert _put(world, "a.txt", user=world.admin).status_code == 200
    assert _put(world, "b.txt", user=world.author).status_code == 200
    deleted = world.call("DELETE", world.other, _files(world), {"path": "a.txt"})
    assert deleted.status_code == 403


def test_a_workspace_of_another_app_is_not_found(world: World) -> None:
    other_app = world.env.app(world.admin, name="blog")
    created = world.env.client.post(
        f"/api/apps/{other_app}/workspaces", json={}, headers=world.headers(world.admin)
    )
    foreign = created.json()["data"]["id"]
    body = {"path": "a.txt", "content": "", "encoding": "utf-8"}
    url = f"/workspaces/{foreign}/files"
    assert world.call("PUT", world.admin, url, body).status_code == 404
    assert world.call("GET", world.admin, url).status_code == 404
    assert world.call("POST", world.admin, f"/workspaces/{foreign}/checkpoints").status_code == 404


def test_a_delete_is_one_autosave_commit_and_missing_files_or_directories_fail(
    world: World,
) -> None:
    assert _put(world, "entities/a.json").status_code == 200
    missing = world.call("DELETE", world.author, _files(world), {"path": "entities/b.json"})
    assert missing.status_code == 404
    directory = world.call("DELETE", world.author, _files(world), {"path": "entities"})
    assert directory.status_code == 400
    done = world.call("DELETE", world.author, _files(world), {"path": "entities/a.json"})
    assert done.status_code == 200
    data = done.json()["data"]
    assert data["path"] == "entities/a.json"
    assert data["working_sha"] == data["commit_sha"] == _autosave(world)
    assert _read(world, path="entities/a.json").status_code == 404
    assert "file.deleted" in world.audit_actions()


def test_writing_a_file_under_a_file_or_onto_a_directory_fails(world: World) -> None:
    assert _put(world, "entities/a.json").status_code == 200
    assert _put(world, "entities/a.json/x").status_code == 409
    assert _put(world, "entities").status_code == 400


def test_checkpoints_are_refused_in_submit_commit_mode(world: World) -> None:
    assert _put(world, "a.txt").status_code == 200
    response = world.call("POST", world.author, f"/workspaces/{world.workspace.id}/checkpoints")
    assert response.status_code == 409
    assert "checkpoints are disabled in submit_commit mode" in response.json()["error"]["message"]


def test_a_checkpoint_squashes_the_working_state_onto_the_branch(world: World) -> None:
    world.set_commit_mode(world.author, CommitMode.MANUAL_CHECKPOINT)
    url = f"/workspaces/{world.workspace.id}/checkpoints"
    clean = world.call("POST", world.author, url)
    assert clean.status_code == 409
    assert "no uncommitted changes" in clean.json()["error"]["message"]
    assert _put(world, "a.txt").status_code == 200
    assert _put(world, "b.txt").status_code == 200
    assert world.call("POST", world.other, url).status_code == 403
    assert world.call("POST", world.author, url, {"message": ""}).status_code == 400
    done = world.call("POST", world.author, url)
    assert done.status_code == 200, done.text
    data = done.json()["data"]
    assert data["message"] == "Checkpoint"
    assert data["commit_sha"] == data["head_sha"]
    repo = repo_ref(world.app)
    assert world.git.resolve(repo, "refs/heads/ws/author/shop") == data["head_sha"]
    assert _autosave(world) is None
    commit = world.git.find_commit(repo, data["head_sha"])
    assert commit is not None
    assert commit.parents == [world.integration_head()]
    assert "file.checkpoint" in world.audit_actions()
    assert _put(world, "c.txt").status_code == 200
    named = world.call("POST", world.author, url, {"message": "Second"})
    assert named.json()["data"]["message"] == "Second"


def test_twenty_parallel_writes_to_distinct_paths_all_succeed_with_one_commit_each(
    world: World,
) -> None:
    paths = [f"entities/item{i:02d}.json" for i in range(20)]
    barrier = threading.Barrier(len(paths))

    def write(path: str) -> int:
        barrier.wait()
        return int(_put(world, path, f'{{"name": "{path}"}}').status_code)

    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        statuses = list(pool.map(write, paths))
    assert statuses == [200] * len(paths)
    listing = _read(world, path="entities", limit="100").json()
    assert sorted(e["path"] for e in listing["data"]["entries"]) == paths
    repo = repo_ref(world.app)
    working = _autosave(world)
    assert working is not None
    commits = world.git.list_commits(repo, working, exclude=world.integration_head())
    assert len(commits) == len(paths)


def test_input_errors_come_before_the_ownership_check(world: World) -> None:
    assert _put(world, "a//b", user=world.other).status_code == 400
    bad_base64 = {"path": "a.txt", "content": "%%%"}
    assert world.call("PUT", world.other, _files(world), bad_base64).status_code == 400
    deleted = world.call("DELETE", world.other, _files(world), {"path": "/a", "message": "x"})
    assert deleted.status_code == 400
    url = f"/workspaces/{world.workspace.id}"
    assert world.call("POST", world.other, f"{url}/checkpoints", {"message": ""}).status_code == 400
    assert world.call("PATCH", world.other, url, {"title": "x" * 201}).status_code == 400
    assert world.call("PATCH", world.other, url, {"title": "x"}).status_code == 403


class _RacingGit:
    """Git whose every autosave commit loses its compare-and-swap to a concurrent writer."""

    def __init__(self, real: GitPort) -> None:
        self._real = real
        self.attempts = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def commit_files(self, repo: RepoRef, **kw: Any) -> str:
        self.attempts += 1
        current = self._real.resolve(repo, kw["ref"])
        noise = FileAction(action="create", path=f"noise/{self.attempts}.txt", content=b"n")
        self._real.commit_files(
            repo, ref=kw["ref"], parent=current or kw["parent"],
            expected_old=current or ZERO_OID, actions=[noise], message="noise",
            author=kw["author"],
        )  # fmt: skip
        return self._real.commit_files(repo, **kw)


def test_a_write_that_keeps_losing_the_compare_and_swap_is_a_conflict(world: World) -> None:
    container = world.env.container
    racing = _RacingGit(container.git())
    deps = WorkspaceDeps(
        repos=container.repositories(), git=cast(GitPort, racing), clock=container.clock(),
        ids=container.ids(), audit=container.audit_trail(), sleep=lambda _: None,
    )  # fmt: skip
    container.workspace_deps.override(providers.Object(deps))
    try:
        response = _put(world, "a.txt")
    finally:
        container.workspace_deps.reset_override()
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert racing.attempts == 10
    assert _read(world, path="a.txt").status_code == 404
