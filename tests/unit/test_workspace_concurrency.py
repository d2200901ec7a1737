"""Concurrent working-state writes (DOMAIN.md §8.2): lost compare-and-swaps re-apply."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from workspace_support import World

from conman_adapters.localgit import LocalGit
from conman_adapters.memory import InMemoryGit
from conman_domain.errors import Conflict, NotFound
from conman_domain.gitmodel import FileAction, RepoRef, Signature
from conman_domain.usecases.files import (
    MAX_ATTEMPTS,
    DeleteFile,
    DeleteFileCmd,
    WriteFile,
    WriteFileCmd,
)
from conman_domain.usecases.workspaces import CreateWorkspace, CreateWorkspaceCmd, WorkspaceDeps

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
    """Write from one thread per path, spread over two dependency sets that share the
    store and git but not their in-process locks, as two server processes would."""
    barrier = threading.Barrier(len(paths))
    errors: list[BaseException] = []
    second = WorkspaceDeps(
        repos=world.repos,
        git=world.git,
        clock=world.clock,
        ids=world.ids,
        audit=world.audit,
        sleep=time.sleep,
    )

    def writer(index: int, path: str) -> None:
        barrier.wait()
        cmd = WriteFileCmd(ref=world.ref(ws_id), path=path, content=f"v{index}\n", encoding="utf-8")
        try:
            WriteFile(world.deps if index % 2 else second)(cmd)
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


class RacingGit(InMemoryGit):
    """Before each of the next ``races`` autosave commits, another writer lands a commit
    on the same ref first, so the caller's compare-and-swap loses."""

    def __init__(self) -> None:
        super().__init__()
        self.races = 0
        self.intruder_path = "intruder.txt"

    def commit_files(
        self,
        repo: RepoRef,
        *,
        ref: str,
        parent: str | None,
        expected_old: str | None,
        actions: Sequence[FileAction],
        message: str,
        author: Signature,
    ) -> str:
        if self.races > 0 and ref.startswith("refs/conman/autosave/"):
            self.races -= 1
            exists = (
                parent is not None and self.get_entry(repo, parent, self.intruder_path) is not None
            )
            intruding = [
                FileAction(
                    action="update" if exists else "create", path=self.intruder_path, content=b"i"
                )
            ]
            super().commit_files(
                repo,
                ref=ref,
                parent=parent,
                expected_old=expected_old,
                actions=intruding,
                message="intruder",
                author=author,
            )
        return super().commit_files(
            repo,
            ref=ref,
            parent=parent,
            expected_old=expected_old,
            actions=actions,
            message=message,
            author=author,
        )


def test_a_lost_race_re_decides_create_versus_update_on_the_new_working_head() -> None:
    git = RacingGit()
    world = World(git)
    ws = CreateWorkspace(world.deps)(CreateWorkspaceCmd(app_id=world.app.id, actor=world.actor()))
    git.races = 3
    git.intruder_path = "shared.txt"
    cmd = WriteFileCmd(ref=world.ref(ws.id), path="shared.txt", content="mine", encoding="utf-8")
    result = WriteFile(world.deps)(cmd)
    assert not result.created  # the intruder created it first, so this became an update
    assert world.files_at(result.working_sha)["shared.txt"] == b"mine"
    assert len(world.sleeps) == 3 and all(s >= 0 for s in world.sleeps)
    commits = world.git.list_commits(world.repo, result.working_sha, exclude=ws.head_sha)
    assert [c.message for c in commits] == ["Update shared.txt", *["intruder"] * 3]


def test_a_delete_whose_file_vanished_during_the_race_is_not_found() -> None:
    git = RacingGit()
    world = World(git)
    ws = CreateWorkspace(world.deps)(CreateWorkspaceCmd(app_id=world.app.id, actor=world.actor()))
    WriteFile(world.deps)(
        WriteFileCmd(ref=world.ref(ws.id), path="gone.txt", content="x", encoding="utf-8")
    )

    original = git.commit_files

    def vanish_first(
        repo: RepoRef,
        *,
        ref: str,
        parent: str | None,
        expected_old: str | None,
        actions: Sequence[FileAction],
        message: str,
        author: Signature,
    ) -> str:
        git.commit_files = original  # type: ignore[method-assign]
        deleted = [FileAction(action="delete", path="gone.txt")]
        original(
            repo,
            ref=ref,
            parent=parent,
            expected_old=expected_old,
            actions=deleted,
            message="other delete",
            author=author,
        )
        return original(
            repo,
            ref=ref,
            parent=parent,
            expected_old=expected_old,
            actions=actions,
            message=message,
            author=author,
        )

    git.commit_files = vanish_first  # type: ignore[method-assign]
    with pytest.raises(NotFound):
        DeleteFile(world.deps)(DeleteFileCmd(ref=world.ref(ws.id), path="gone.txt"))


def test_ten_lost_races_in_a_row_end_in_a_conflict() -> None:
    git = RacingGit()
    world = World(git)
    ws = CreateWorkspace(world.deps)(CreateWorkspaceCmd(app_id=world.app.id, actor=world.actor()))
    git.races = MAX_ATTEMPTS
    cmd = WriteFileCmd(ref=world.ref(ws.id), path="a.txt", content="x", encoding="utf-8")
    with pytest.raises(Conflict):
        WriteFile(world.deps)(cmd)
    assert len(world.sleeps) == MAX_ATTEMPTS - 1
    git.races = MAX_ATTEMPTS - 1
    assert WriteFile(world.deps)(cmd).created
