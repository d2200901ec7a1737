"""Workspace and file use cases over InMemoryGit and the memory store (DOMAIN.md §8)."""

from __future__ import annotations

import base64

import pytest
from workspace_support import World

from conman_adapters.memory import InMemoryGit
from conman_domain.errors import Conflict, Forbidden, NotFound, UncommittedChanges, Validation
from conman_domain.model import BaselineMode, BaseRefType, CommitMode, User
from conman_domain.usecases.files import (
    Checkpoint,
    CheckpointCmd,
    DeleteFile,
    DeleteFileCmd,
    DirListing,
    FileContent,
    ReadPath,
    ReadPathCmd,
    WriteFile,
    WriteFileCmd,
)
from conman_domain.usecases.workspace_sync import ResetWorkspace, ResetWorkspaceCmd
from conman_domain.usecases.workspaces import (
    CreateWorkspace,
    CreateWorkspaceCmd,
    GetWorkspace,
    ListWorkspaces,
    ListWorkspacesCmd,
    UpdateWorkspace,
    UpdateWorkspaceCmd,
    WorkspaceView,
)


def make(
    world: World, *, title: str | None = None, branch_name: str | None = None
) -> WorkspaceView:
    cmd = CreateWorkspaceCmd(
        app_id=world.app.id, actor=world.actor(), title=title, branch_name=branch_name
    )
    return CreateWorkspace(world.deps)(cmd)


def write(world: World, ws: WorkspaceView, path: str, text: str, user: User | None = None) -> str:
    result = WriteFile(world.deps)(
        WriteFileCmd(ref=world.ref(ws.id, user), path=path, content=text, encoding="utf-8")
    )
    return result.commit_sha


@pytest.fixture
def world() -> World:
    return World(InMemoryGit())


def test_default_workspace_branches_at_the_integration_head_with_a_derived_name(
    world: World,
) -> None:
    ws = make(world)
    assert ws.branch_name == "ws/alice-smith/demo_app"
    assert ws.is_default
    assert ws.head_sha == ws.working_sha == ws.base_sha == world.integration_head
    assert (ws.base_ref_type, ws.base_ref_value) == (BaseRefType.BRANCH, "main")
    assert not ws.dirty
    assert ws.effective_commit_mode is CommitMode.SUBMIT_COMMIT
    assert (
        world.git.resolve(world.repo, "refs/heads/ws/alice-smith/demo_app")
        == world.integration_head
    )
    assert world.repos.audit.list({"action": "workspace.created"}).total == 1


def test_a_second_default_workspace_is_a_conflict_but_an_extra_one_is_fine(world: World) -> None:
    make(world)
    with pytest.raises(Conflict):
        make(world)
    extra = make(world, branch_name="feature/x", title="Extra")
    assert not extra.is_default and extra.title == "Extra"


def test_an_existing_git_branch_name_is_skipped_with_a_suffix(world: World) -> None:
    world.git.create_branch(world.repo, "ws/alice-smith/demo_app", world.integration_head)
    assert make(world).branch_name == "ws/alice-smith/demo_app-2"


def test_extra_workspace_branch_names_are_validated_and_unique(world: World) -> None:
    make(world, branch_name="feature/x")
    with pytest.raises(Conflict):
        make(world, branch_name="feature/x")
    for bad in ("../evil", "-x", "a b", "main", "env/prod"):
        with pytest.raises(Validation):
            make(world, branch_name=bad)


def test_canonical_release_baseline_uses_the_published_release_commit(world: World) -> None:
    world.app.settings = world.app.settings.__class__(
        baseline_mode=BaselineMode.CANONICAL_ENV_RELEASE, file_size_limit_bytes=64
    )
    world.app = world.repos.apps.save(world.app)
    released = world.integration_head
    world.deploy_canonical(released, "r2026.03.01.1")
    world.commit_main({"README.md": b"newer\n"})
    ws = make(world)
    assert ws.head_sha == released
    assert (ws.base_ref_type, ws.base_ref_value) == (BaseRefType.TAG, "r2026.03.01.1")


def test_writes_go_to_the_autosave_ref_one_commit_each_and_reads_see_them(world: World) -> None:
    ws = make(world)
    first = write(world, ws, "entities/order.yaml", "name: Order\n")
    second = write(world, ws, "entities/order.yaml", "name: Order2\n")
    autosave = world.git.resolve(world.repo, f"refs/conman/autosave/{ws.id}")
    assert autosave == second
    commits = world.git.list_commits(world.repo, second, exclude=ws.head_sha)
    assert [c.sha for c in commits] == [second, first]
    assert [c.message for c in commits] == ["Update entities/order.yaml"] * 2
    view = GetWorkspace(world.deps)(world.ref(ws.id))
    assert view.dirty and view.working_sha == second and view.head_sha == ws.head_sha
    read = ReadPath(world.deps)(
        ReadPathCmd(ref=world.ref(ws.id, world.bob), path="entities/order.yaml", encoding="utf-8")
    )
    assert isinstance(read, FileContent) and read.content == "name: Order2\n"
    assert world.git.resolve(world.repo, "refs/heads/main") == world.integration_head


def test_write_reports_created_only_for_new_files(world: World) -> None:
    ws = make(world)
    cmd = WriteFileCmd(ref=world.ref(ws.id), path="a.txt", content=base64.b64encode(b"x").decode())
    assert WriteFile(world.deps)(cmd).created
    again = WriteFile(world.deps)(cmd)
    assert not again.created and again.size == 1


def test_directory_listing_puts_directories_first_then_names_in_byte_order(world: World) -> None:
    ws = make(world)
    write(world, ws, "Zed.txt", "z")
    listing = ReadPath(world.deps)(ReadPathCmd(ref=world.ref(ws.id), path="/"))
    assert isinstance(listing, DirListing)
    assert [(e.name, e.type) for e in listing.entries] == [
        ("entities", "dir"),
        ("pages", "dir"),
        ("README.md", "file"),
        ("Zed.txt", "file"),
    ]
    assert listing.entries[0].size == 0 and listing.entries[2].size == len(b"# demo\n")


def test_binary_content_falls_back_to_base64_when_utf8_is_asked(world: World) -> None:
    ws = make(world)
    raw = b"\xff\xfe\x00"
    WriteFile(world.deps)(
        WriteFileCmd(ref=world.ref(ws.id), path="bin.dat", content=base64.b64encode(raw).decode())
    )
    read = ReadPath(world.deps)(ReadPathCmd(ref=world.ref(ws.id), path="bin.dat", encoding="utf-8"))
    assert isinstance(read, FileContent)
    assert read.encoding == "base64" and base64.b64decode(read.content) == raw


def test_reading_a_missing_path_is_not_found(world: World) -> None:
    ws = make(world)
    with pytest.raises(NotFound):
        ReadPath(world.deps)(ReadPathCmd(ref=world.ref(ws.id), path="nope.txt"))


@pytest.mark.parametrize("path", ["/abs", "a/../b", "a//b", "a\\b", "%2e%2e/x", ""])
def test_malformed_paths_are_rejected_before_anything_else(world: World, path: str) -> None:
    ws = make(world)
    with pytest.raises(Validation):
        write(world, ws, path, "x")


@pytest.mark.parametrize(
    "path", [".git/config", ".github/workflows/ci.yml", ".gitignore", "src/.GIT/x"]
)
def test_blocked_paths_are_forbidden_for_writes_and_deletes(world: World, path: str) -> None:
    ws = make(world)
    with pytest.raises(Forbidden, match="blocked by app policy"):
        write(world, ws, path, "x")
    with pytest.raises(Forbidden):
        DeleteFile(world.deps)(DeleteFileCmd(ref=world.ref(ws.id), path=path))


def test_content_at_the_size_limit_or_empty_is_accepted_and_above_is_rejected(world: World) -> None:
    ws = make(world)
    write(world, ws, "exact.txt", "x" * 64)
    write(world, ws, "empty.txt", "")
    with pytest.raises(Validation, match="limit"):
        write(world, ws, "big.txt", "x" * 65)


def test_invalid_base64_is_a_validation_error(world: World) -> None:
    ws = make(world)
    with pytest.raises(Validation, match="base64"):
        WriteFile(world.deps)(WriteFileCmd(ref=world.ref(ws.id), path="a.txt", content="a b="))


def test_only_the_owner_or_an_app_admin_may_write(world: World) -> None:
    ws = make(world)
    with pytest.raises(Forbidden):
        write(world, ws, "a.txt", "x", world.bob)
    write(world, ws, "a.txt", "x", world.root)


def test_delete_removes_the_file_and_missing_files_or_directories_are_errors(world: World) -> None:
    ws = make(world)
    delete = DeleteFile(world.deps)
    result = delete(DeleteFileCmd(ref=world.ref(ws.id), path="README.md"))
    assert "README.md" not in world.files_at(result.working_sha)
    assert world.git.find_commit(world.repo, result.commit_sha).message == "Delete README.md"  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        delete(DeleteFileCmd(ref=world.ref(ws.id), path="README.md"))
    with pytest.raises(Validation):
        delete(DeleteFileCmd(ref=world.ref(ws.id), path="entities"))


def test_writing_under_an_existing_file_is_a_conflict_not_a_retry_loop(world: World) -> None:
    ws = make(world)
    with pytest.raises(Conflict):
        write(world, ws, "README.md/child", "x")
    assert world.sleeps == []


def test_checkpoint_is_refused_in_submit_commit_mode(world: World) -> None:
    ws = make(world)
    write(world, ws, "a.txt", "x")
    with pytest.raises(Conflict, match="submit_commit"):
        Checkpoint(world.deps)(CheckpointCmd(ref=world.ref(ws.id)))


def test_checkpoint_squashes_the_working_state_into_one_branch_commit() -> None:
    world = World(InMemoryGit(), commit_mode=CommitMode.MANUAL_CHECKPOINT)
    ws = make(world)
    with pytest.raises(Conflict, match="no uncommitted changes"):
        Checkpoint(world.deps)(CheckpointCmd(ref=world.ref(ws.id)))
    write(world, ws, "a.txt", "1")
    working = write(world, ws, "b.txt", "2")
    result = Checkpoint(world.deps)(CheckpointCmd(ref=world.ref(ws.id)))
    commit = world.git.find_commit(world.repo, result.head_sha)
    assert commit is not None and commit.parents == [ws.head_sha] and commit.message == "Checkpoint"
    assert world.files_at(result.head_sha) == world.files_at(working)
    view = GetWorkspace(world.deps)(world.ref(ws.id))
    assert not view.dirty and view.head_sha == view.working_sha == result.head_sha
    assert world.git.resolve(world.repo, f"refs/conman/autosave/{ws.id}") is None


def test_membership_commit_mode_overrides_the_app_default(world: World) -> None:
    membership = world.repos.memberships.find_one({"user_id": world.alice.id})
    assert membership is not None
    membership.commit_mode = CommitMode.MANUAL_CHECKPOINT
    world.repos.memberships.save(membership)
    ws = make(world)
    assert ws.effective_commit_mode is CommitMode.MANUAL_CHECKPOINT
    write(world, ws, "a.txt", "1")
    assert (
        Checkpoint(world.deps)(CheckpointCmd(ref=world.ref(ws.id), message="Mine")).message
        == "Mine"
    )


def test_reset_refuses_a_dirty_workspace_unless_discarding(world: World) -> None:
    ws = make(world)
    write(world, ws, "a.txt", "1")
    new_main = world.commit_main({"pages/home.json": b'{"name": "Home"}'})
    reset = ResetWorkspace(world.deps)
    with pytest.raises(UncommittedChanges):
        reset(ResetWorkspaceCmd(ref=world.ref(ws.id)))
    view = reset(ResetWorkspaceCmd(ref=world.ref(ws.id), discard_uncommitted=True))
    assert view.head_sha == view.working_sha == view.base_sha == new_main
    assert not view.dirty
    assert world.git.resolve(world.repo, f"refs/conman/autosave/{ws.id}") is None
    stored = world.repos.workspaces.get(ws.id)
    assert stored.base_sha == new_main and stored.head_sha == new_main


def test_title_patch_and_listing_newest_first(world: World) -> None:
    first = make(world)
    second = make(world, branch_name="feature/y")
    UpdateWorkspace(world.deps)(UpdateWorkspaceCmd(ref=world.ref(first.id), title="Renamed"))
    page = ListWorkspaces(world.deps)(
        ListWorkspacesCmd(app_id=world.app.id, actor=world.actor(world.bob))
    )
    assert [v.id for v in page.items] == [second.id, first.id]
    assert page.items[1].title == "Renamed"
    with pytest.raises(Validation):
        UpdateWorkspace(world.deps)(UpdateWorkspaceCmd(ref=world.ref(first.id), title="t" * 201))
    with pytest.raises(Forbidden):
        UpdateWorkspace(world.deps)(
            UpdateWorkspaceCmd(ref=world.ref(first.id, world.bob), title="x")
        )
