"""Sync with integration (DOMAIN.md §8.6) over both local git adapters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from workspace_support import World

from conman_adapters.localgit import LocalGit
from conman_adapters.memory import InMemoryGit
from conman_domain.usecases.files import WriteFile, WriteFileCmd
from conman_domain.usecases.workspace_sync import SyncIntegration
from conman_domain.usecases.workspaces import (
    CreateWorkspace,
    CreateWorkspaceCmd,
    GetWorkspace,
    WorkspaceView,
)


@pytest.fixture(params=["memory", "localgit"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    if request.param == "memory":
        yield World(InMemoryGit())
        return
    git = LocalGit(tmp_path / "repos")
    try:
        yield World(git)
    finally:
        git.close()


def make(world: World) -> WorkspaceView:
    return CreateWorkspace(world.deps)(CreateWorkspaceCmd(app_id=world.app.id, actor=world.actor()))


def write(world: World, ws: WorkspaceView, path: str, text: str) -> str:
    cmd = WriteFileCmd(ref=world.ref(ws.id), path=path, content=text, encoding="utf-8")
    return WriteFile(world.deps)(cmd).commit_sha


def scratch_refs(world: World, ws: WorkspaceView) -> list[str | None]:
    return [
        world.git.resolve(world.repo, f"refs/conman/sync/{ws.id}"),
        world.git.resolve(world.repo, f"refs/conman/sync-working/{ws.id}"),
    ]


def test_sync_when_integration_is_already_contained_is_a_clean_no_op(world: World) -> None:
    ws = make(world)
    result = SyncIntegration(world.deps)(world.ref(ws.id))
    assert result.clean and result.head_sha == ws.head_sha and result.conflicting_paths == []
    assert world.repos.audit.list({"action": "workspace.synced_integration"}).total == 0


def test_sync_merges_integration_and_replays_the_working_state(world: World) -> None:
    ws = make(world)
    write(world, ws, "entities/order.yaml", "name: Order\n")
    main = world.commit_main({"pages/home.json": b'{"name": "Home2"}\n'})
    result = SyncIntegration(world.deps)(world.ref(ws.id))
    assert result.clean
    assert world.git.is_ancestor(world.repo, main, result.head_sha)
    assert world.git.resolve(world.repo, "refs/heads/main") == main
    files = world.files_at(result.working_sha)
    assert files["pages/home.json"] == b'{"name": "Home2"}\n'
    assert files["entities/order.yaml"] == b"name: Order\n"
    view = GetWorkspace(world.deps)(world.ref(ws.id))
    assert (
        view.dirty and view.working_sha == result.working_sha and view.head_sha == result.head_sha
    )
    assert view.base_sha == main and view.base_ref_value == "main"
    assert "entities/order.yaml" not in world.files_at(result.head_sha)
    assert scratch_refs(world, ws) == [None, None]
    assert world.repos.audit.list({"action": "workspace.synced_integration"}).total == 1


def test_sync_of_a_clean_workspace_moves_only_the_branch(world: World) -> None:
    ws = make(world)
    main = world.commit_main({"README.md": b"v2\n"})
    result = SyncIntegration(world.deps)(world.ref(ws.id))
    assert result.clean and result.head_sha == result.working_sha
    assert world.git.is_ancestor(world.repo, main, result.head_sha)
    assert world.git.resolve(world.repo, f"refs/conman/autosave/{ws.id}") is None


def test_sync_conflict_changes_nothing_and_lists_the_paths(world: World) -> None:
    ws = make(world)
    working = write(world, ws, "README.md", "mine\n")
    main = world.commit_main({"README.md": b"theirs\n"})
    result = SyncIntegration(world.deps)(world.ref(ws.id))
    assert not result.clean
    assert result.conflicting_paths == ["README.md"]
    assert (result.head_sha, result.working_sha) == (ws.head_sha, working)
    assert world.git.resolve(world.repo, f"refs/heads/{ws.branch_name}") == ws.head_sha
    assert world.git.resolve(world.repo, f"refs/conman/autosave/{ws.id}") == working
    assert world.git.resolve(world.repo, "refs/heads/main") == main
    assert scratch_refs(world, ws) == [None, None]
