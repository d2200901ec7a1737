"""The test server reproduces upstream Gitaly semantics, and GitalyGit sends what
Gitaly's hooks need (GITALY.md "Upstream semantics to honour")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest

from conman_adapters.gitaly import GitalyGit
from conman_adapters.gitaly._pb import (
    operations_pb2,
    operations_pb2_grpc,
    ref_pb2,
    ref_pb2_grpc,
    shared_pb2,
)
from conman_adapters.gitaly.diffparse import parse_diff
from conman_adapters.gitaly.rpc_status import DETAILS_KEY, decode_details
from conman_adapters.gitaly.transport import channel_for, close_channel
from conman_domain.errors import Conflict
from conman_domain.gitmodel import ZERO_OID, FileAction, RepoRef, Signature
from tests.gitaly_server import GitalyTestServer

REPO = RepoRef(relative_path="apps/sem", gl_repository="app-42")
PB_REPO = shared_pb2.Repository(
    storage_name="default", relative_path="apps/sem", gl_repository="app-42"
)
USER = shared_pb2.User(gl_id="user-1", name=b"A", email=b"a@x", gl_username="a", timezone="UTC")
AUTHOR = Signature(
    name="Alice", email="alice@example.com", when=datetime(2026, 1, 2, tzinfo=UTC), user_id="7"
)


class World:
    def __init__(self, root: Path) -> None:
        self.server = GitalyTestServer(root)
        self.git = GitalyGit(self.server.address)
        channel = channel_for(self.server.address)
        grpc_modules: Any = (ref_pb2_grpc, operations_pb2_grpc)
        self.refs: Any = grpc_modules[0].RefServiceStub(channel)
        self.ops: Any = grpc_modules[1].OperationServiceStub(channel)
        self.git.create_repository(REPO, default_branch="main")

    def commit(self, ref: str, files: dict[str, bytes], parent: str | None) -> str:
        old = self.git.resolve(REPO, ref) or ZERO_OID
        actions = [
            FileAction(action="update" if parent else "create", path=p, content=c)
            for p, c in files.items()
        ]
        return self.git.commit_files(
            REPO,
            ref=ref,
            parent=parent,
            expected_old=old,
            actions=actions,
            message="m",
            author=AUTHOR,
        )

    def logged(self, method: str) -> list[Any]:
        return [request for name, request in self.server.state.calls if name == method]


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    world = World(tmp_path)
    try:
        yield world
    finally:
        close_channel(world.server.address)
        world.server.stop()


def _code(exc: pytest.ExceptionInfo[grpc.RpcError]) -> grpc.StatusCode:
    return exc.value.code()


def test_find_branch_on_a_missing_branch_answers_ok_with_an_empty_branch(w: World) -> None:
    reply = w.refs.FindBranch(ref_pb2.FindBranchRequest(repository=PB_REPO, name=b"nope"))
    assert not reply.HasField("branch")


def test_user_create_branch_on_an_existing_branch_fails_with_failed_precondition(
    w: World,
) -> None:
    head = w.commit("refs/heads/main", {"a": b"1\n"}, None)
    request = operations_pb2.UserCreateBranchRequest(
        repository=PB_REPO, branch_name=b"main", user=USER, start_point=head.encode()
    )
    with pytest.raises(grpc.RpcError) as caught:
        w.ops.UserCreateBranch(request)
    assert _code(caught) == grpc.StatusCode.FAILED_PRECONDITION


def test_update_references_honours_empty_zero_and_mismatching_old_ids(w: World) -> None:
    head = w.commit("refs/heads/main", {"a": b"1\n"}, None)

    def update(ref: str, old: str, new: str) -> None:
        upd = ref_pb2.UpdateReferencesRequest.Update(
            reference=ref.encode(), old_object_id=old.encode(), new_object_id=new.encode()
        )
        w.refs.UpdateReferences(
            iter([ref_pb2.UpdateReferencesRequest(repository=PB_REPO, updates=[upd])])
        )

    update("refs/x", ZERO_OID, head)  # all-zero old: must not exist
    with pytest.raises(grpc.RpcError) as caught:
        update("refs/x", ZERO_OID, head)
    assert _code(caught) == grpc.StatusCode.FAILED_PRECONDITION
    assert "gitaly.UpdateReferencesError" in decode_details(caught.value.trailing_metadata())
    update("refs/x", "", head)  # empty old: no check
    update("refs/x", head, ZERO_OID)  # all-zero new: delete
    assert w.git.resolve(REPO, "refs/x") is None


def test_merge_to_ref_conflicts_carry_no_conflict_word_and_no_details(w: World) -> None:
    base = w.commit("refs/heads/main", {"a": b"1\n"}, None)
    ours = w.commit("refs/heads/main", {"a": b"2\n"}, base)
    theirs = w.commit("refs/heads/other", {"a": b"3\n"}, base)
    request = operations_pb2.UserMergeToRefRequest(
        repository=PB_REPO,
        user=USER,
        source_sha=theirs,
        first_parent_ref=ours.encode(),
        target_ref=b"refs/merge-requests/1/merge",
        message=b"merge",
    )
    with pytest.raises(grpc.RpcError) as caught:
        w.ops.UserMergeToRef(request)
    assert _code(caught) == grpc.StatusCode.FAILED_PRECONDITION
    assert "conflict" not in caught.value.details().lower()
    metadata = caught.value.trailing_metadata() or ()
    assert all(key != DETAILS_KEY for key, _ in metadata)


def test_gitaly_git_reports_merge_conflict_paths_through_list_conflict_files(w: World) -> None:
    base = w.commit("refs/heads/main", {"a": b"1\n", "b": b"1\n"}, None)
    ours = w.commit("refs/heads/main", {"a": b"2\n"}, base)
    theirs = w.commit("refs/heads/other", {"a": b"3\n"}, base)
    out = w.git.merge_to_ref(
        REPO,
        source_sha=theirs,
        first_parent=ours,
        target_ref="refs/conman/compose/r1",
        message="m",
        author=AUTHOR,
    )
    assert out.sha is None and out.conflicting_paths == ["a"]
    assert len(w.logged("ListConflictFiles")) == 1


def test_mutating_calls_carry_gl_repository_and_the_acting_user(w: World) -> None:
    w.commit("refs/heads/main", {"a": b"1\n"}, None)
    header = w.logged("UserCommitFiles")[0][0].header
    assert header.repository.gl_repository == "app-42"
    assert header.repository.storage_name == "default"
    assert (header.user.gl_id, header.user.gl_username, header.user.timezone) == (
        "user-7",
        "7",
        "UTC",
    )
    assert (header.user.name, header.user.email) == (b"Alice", b"alice@example.com")


def test_user_calls_without_gl_repository_are_refused_like_gitaly_hooks(w: World) -> None:
    request = operations_pb2.UserCreateBranchRequest(
        repository=shared_pb2.Repository(storage_name="default", relative_path="apps/sem"),
        branch_name=b"x",
        user=USER,
        start_point=b"main",
    )
    with pytest.raises(grpc.RpcError) as caught:
        w.ops.UserCreateBranch(request)
    assert _code(caught) == grpc.StatusCode.INVALID_ARGUMENT


def test_revert_conflicts_come_from_the_structured_merge_conflict_detail(w: World) -> None:
    base = w.commit("refs/heads/main", {"a": b"1\n"}, None)
    release = w.git.merge_to_ref(
        REPO,
        source_sha=w.commit("refs/heads/ws", {"a": b"2\n"}, base),
        first_parent=base,
        target_ref="refs/heads/main",
        message="release",
        author=AUTHOR,
        expected_old=base,
    ).sha
    assert release is not None
    later = w.commit("refs/heads/main", {"a": b"3\n"}, release)
    out = w.git.revert_release(
        REPO,
        integration_branch="main",
        expected_head=later,
        current_sha=release,
        target_sha=base,
        scratch_branch="conman/revert/r1",
        message="Revert",
        author=AUTHOR,
    )
    assert out.sha is None and out.conflicting_paths == ["a"]
    assert w.logged("UserRevert") and w.logged("ListConflictFiles") == []
    assert w.git.resolve(REPO, "refs/heads/conman/revert/r1") is None
    assert w.logged("UserRevert")[0].start_branch_name == b"main"


def test_deleting_a_branch_runs_user_delete_branch_with_the_expected_old_id(w: World) -> None:
    head = w.commit("refs/heads/main", {"a": b"1\n"}, None)
    w.git.create_branch(REPO, "topic", head)
    with pytest.raises(Conflict):
        w.git.delete_ref(REPO, "refs/heads/topic", expected_old="1" * 40)
    w.git.delete_ref(REPO, "refs/heads/topic", expected_old=head)
    sent = w.logged("UserDeleteBranch")
    assert [r.expected_old_oid for r in sent] == ["1" * 40, head]
    assert all(r.repository.gl_repository == "app-42" and r.user.gl_id for r in sent)
    assert w.git.resolve(REPO, "refs/heads/topic") is None
    w.git.delete_ref(REPO, "refs/heads/topic", expected_old=None)  # missing: a no-op


def test_raw_diff_parsing_undoes_git_path_quoting_and_detects_renames() -> None:
    patch = (
        'diff --git "a/d s/\\303\\274.txt" "b/d s/\\303\\274.txt"\n'
        f"index {'1' * 40}..{'2' * 40} 100644\n"
        '--- "a/d s/\\303\\274.txt"\t\n'
        '+++ "b/d s/\\303\\274.txt"\t\n'
        "@@ -1 +1,2 @@\n-one\n+two\n+three\n"
        "diff --git a/old.txt b/new.txt\n"
        "similarity index 100%\nrename from old.txt\nrename to new.txt\n"
        "diff --git a/bin.dat b/bin.dat\nnew file mode 100644\nindex 0000000..3333333\n"
        "Binary files /dev/null and b/bin.dat differ\n"
    )
    files = parse_diff(patch).files
    assert [
        (f.old_path, f.new_path, f.status, f.additions, f.deletions, f.binary) for f in files
    ] == [
        (None, "bin.dat", "added", 0, 0, True),
        ("d s/ü.txt", "d s/ü.txt", "modified", 2, 1, False),
        ("old.txt", "new.txt", "renamed", 0, 0, False),
    ]


def test_commit_scratch_branches_are_removed_and_never_listed(w: World) -> None:
    head = w.commit("refs/heads/main", {"a": b"1\n"}, None)
    w.git.create_branch(REPO, "conman/tmp/leftover", head)  # e.g. from a crashed writer
    w.commit("refs/conman/autosave/ws1", {"a": b"2\n"}, head)
    scratch = [r.header.branch_name for r, *_ in w.logged("UserCommitFiles")]
    assert all(name.startswith(b"conman/tmp/") for name in scratch)
    assert [b.name for b in w.git.list_branches(REPO)] == ["main"]
    assert all(w.git.resolve(REPO, f"refs/heads/{n.decode()}") is None for n in scratch)
