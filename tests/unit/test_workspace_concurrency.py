"""Concurrent working-state writes (DOMAIN.md §8.2): lost compare-and-swaps re-apply."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from workspace_support import World

from conman_adapters.localgit import LocalGit
from conman_adapters.memory import InMemoryGit
from conman_domain.usecases.files import WriteFile, WriteFileCmd
from conman_domain.usecases.workspaces import CreateWorkspace, CreateWorkspaceCmd

WRITERS = 20


@pytest.fixture(params=["memory", "localgit"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    if request.param == "memory":
        yield World(InMemoryGit(), sleep=time.sleep)
        return
    git = LocalGit(tmp_path / "repos")
    try:
        yield World(git, sleep=time.sleep)
    finally:
        git.close()


def run_writers(world: World, ws_id: str, paths: list[str]) -> list[BaseException]:
    barrier = threading.Barrier(len(paths))
    errors: list[BaseException] = []

    def writer(index: int, path: str) -> None:
        barrier.wait()
        cmd = WriteFileCmd(ref=world.ref(ws_id), path=path, content=f"v{index}\n", encoding="utf-8")
        try:
            WriteFile(world.deps)(cmd)
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i, p)) for i, p in enumerate(paths)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_twenty_concurrent_writes_to_distinct_paths_all_land_one_commit_each(
    world: World,
) -> None:
    ws = CreateWorkspace(world.deps)(CreateWorkspaceCmd(app_id=world.app.id, actor=world.actor()))
    paths = [f"entities/e{i:02}.yaml" for i in range(WRITERS)]
    assert run_writers(world, ws.id, paths) == []
    working = world.git.resolve(world.repo, f"refs/conman/autosave/{ws.id}")
    assert working is not None
    files = world.files_at(working)
    assert {p: files.get(p) for p in paths} == {p: f"v{i}\n".encode() for i, p in enumerate(paths)}
    commits = world.git.list_commits(world.repo, working, exclude=ws.head_sha)
    assert len(commits) == WRITERS
    assert sorted(c.message for c in commits) == sorted(f"Update {p}" for p in paths)
    assert world.repos.audit.list({"action": "file.written"}).total == WRITERS


def test_concurrent_writes_to_one_path_all_succeed_and_one_of_them_wins(world: World) -> None:
    ws = CreateWorkspace(world.deps)(CreateWorkspaceCmd(app_id=world.app.id, actor=world.actor()))
    assert run_writers(world, ws.id, ["shared.txt"] * 8) == []
    working = world.git.resolve(world.repo, f"refs/conman/autosave/{ws.id}")
    assert working is not None
    commits = world.git.list_commits(world.repo, working, exclude=ws.head_sha)
    assert len(commits) == 8
    assert world.files_at(working)["shared.txt"] in {f"v{i}\n".encode() for i in range(8)}
