"""Merges, workspace sync and rollback reverts (GITALY.md, DOMAIN.md §8.6, §14.6).

Conflicts are recognised from status codes and structured details only: a
FAILED_PRECONDITION of UserMergeToRef/UserRebaseToRef carries no detail, so the paths
come from ConflictsService.ListConflictFiles, or — where that is unimplemented — from
the paths changed on both sides since the merge base (DOMAIN.md §6.2).
"""

from __future__ import annotations

from typing import Any

from conman_adapters.gitaly import convert
from conman_adapters.gitaly._pb import (
    commit_pb2,
    conflicts_pb2,
    diff_pb2,
    operations_pb2,
    ref_pb2,
    repository_pb2,
)
from conman_adapters.gitaly.session import Session
from conman_adapters.gitaly.transport import RpcFailed, merge_conflict_paths
from conman_domain.errors import Conflict, NotFound
from conman_domain.gitmodel import (
    ZERO_OID,
    MergeOutcome,
    RepoRef,
    RevertOutcome,
    Signature,
    SyncOutcome,
)

__all__ = ["conflict_paths", "merge_to_ref", "revert_release", "sync_branch"]


def _commit_id(s: Session, repo: RepoRef, revision: str) -> str:
    commit = s.find_commit(repo, revision)
    if commit is None:
        raise NotFound("revision", revision)
    return str(commit.id)


def _changed(s: Session, repo: RepoRef, left: str, right: str) -> set[str]:
    tree_request = diff_pb2.FindChangedPathsRequest.Request.TreeRequest(
        left_tree_revision=left, right_tree_revision=right
    )
    request = diff_pb2.FindChangedPathsRequest(
        repository=s.repo(repo),
        requests=[diff_pb2.FindChangedPathsRequest.Request(tree_request=tree_request)],
    )
    replies = s.stream("diff", s.diffs.FindChangedPaths, request)
    return {convert.decode(p.path) for reply in replies for p in reply.paths}


def _changed_on_both_sides(s: Session, repo: RepoRef, ours: str, theirs: str) -> list[str]:
    request = repository_pb2.FindMergeBaseRequest(
        repository=s.repo(repo), revisions=[convert.encode(ours), convert.encode(theirs)]
    )
    base = s.unary("metadata", s.repository.FindMergeBase, request).base
    if not base:
        return sorted(_changed(s, repo, ours, theirs))
    return sorted(_changed(s, repo, base, ours) & _changed(s, repo, base, theirs))


def conflict_paths(s: Session, repo: RepoRef, ours: str, theirs: str) -> list[str]:
    """The paths that conflict when merging ``theirs`` into ``ours`` (commit ids)."""
    request = conflicts_pb2.ListConflictFilesRequest(
        repository=s.repo(repo),
        our_commit_oid=ours,
        their_commit_oid=theirs,
        allow_tree_conflicts=True,
        skip_content=True,
    )
    paths: set[str] = set()
    try:
        for reply in s.stream("merge", s.conflicts.ListConflictFiles, request):
            for f in reply.files:
                if f.HasField("header"):
                    h = f.header
                    paths |= {convert.decode(p) for p in (h.our_path, h.their_path) if p}
    except RpcFailed as exc:
        if exc.status.code == "NOT_FOUND":
            raise
    return sorted(paths) or _changed_on_both_sides(s, repo, ours, theirs)


def merge_to_ref(
    s: Session,
    repo: RepoRef,
    *,
    source_sha: str,
    first_parent: str,
    target_ref: str,
    message: str,
    author: Signature,
    expected_old: str | None,
) -> MergeOutcome:
    request = operations_pb2.UserMergeToRefRequest(
        repository=s.repo(repo),
        user=convert.user(author),
        source_sha=source_sha,
        target_ref=convert.encode(target_ref),
        message=convert.encode(message),
        first_parent_ref=convert.encode(first_parent),
        timestamp=convert.timestamp(author.when),
        expected_old_oid=expected_old or "",
    )
    try:
        reply = s.unary("merge", s.operations.UserMergeToRef, request)
    except RpcFailed as exc:
        ours, theirs = _commit_id(s, repo, first_parent), _commit_id(s, repo, source_sha)
        if exc.status.code != "FAILED_PRECONDITION":
            raise
        if expected_old is not None:
            current = s.find_commit(repo, target_ref)
            if (current.id if current else ZERO_OID) != expected_old:
                raise Conflict(f"{target_ref} is not at the expected commit") from exc
        paths = merge_conflict_paths(exc.status.details)
        return MergeOutcome(
            sha=None, conflicting_paths=paths or conflict_paths(s, repo, ours, theirs)
        )
    return MergeOutcome(sha=str(reply.commit_id))


def sync_branch(
    s: Session,
    repo: RepoRef,
    *,
    branch_sha: str,
    onto_sha: str,
    working_sha: str | None,
    scratch_ref: str,
    working_scratch_ref: str,
    message: str,
    author: Signature,
) -> SyncOutcome:
    merged = merge_to_ref(
        s,
        repo,
        source_sha=onto_sha,
        first_parent=branch_sha,
        target_ref=scratch_ref,
        message=message,
        author=author,
        expected_old=None,
    )
    if merged.sha is None:
        s.delete_scratch(repo, scratch_ref, working_scratch_ref)
        return SyncOutcome(branch_sha=None, conflicting_paths=merged.conflicting_paths)
    if working_sha is None:
        return SyncOutcome(branch_sha=merged.sha)
    request = operations_pb2.UserRebaseToRefRequest(
        repository=s.repo(repo),
        user=convert.user(author),
        source_sha=working_sha,
        target_ref=convert.encode(working_scratch_ref),
        first_parent_ref=convert.encode(scratch_ref),
        timestamp=convert.timestamp(author.when),
    )
    try:
        reply = s.unary("merge", s.operations.UserRebaseToRef, request)
    except RpcFailed as exc:
        if exc.status.code != "FAILED_PRECONDITION":
            raise
        paths = conflict_paths(s, repo, merged.sha, _commit_id(s, repo, working_sha))
        s.delete_scratch(repo, scratch_ref, working_scratch_ref)
        return SyncOutcome(branch_sha=None, conflicting_paths=paths)
    return SyncOutcome(branch_sha=merged.sha, working_sha=str(reply.commit_id))


def _branch_head(s: Session, repo: RepoRef, branch: str) -> str | None:
    request = ref_pb2.FindBranchRequest(repository=s.repo(repo), name=convert.encode(branch))
    found = s.unary("metadata", s.refs.FindBranch, request).branch
    return str(found.target_commit.id) if found.name else None


def _first_parent_chain(s: Session, repo: RepoRef, current: str, target: str) -> list[Any]:
    request = commit_pb2.ListCommitsRequest(
        repository=s.repo(repo),
        revisions=[current, f"^{target}"],
        order=commit_pb2.ListCommitsRequest.TOPO,
        first_parent=True,
    )
    return [c for reply in s.stream("read", s.commits.ListCommits, request) for c in reply.commits]


def _revert_one(s: Session, repo: RepoRef, request: Any, ours: str) -> tuple[str | None, list[str]]:
    """One UserRevert: ``(new head or None when empty, conflicting paths)``."""
    try:
        reply = s.unary("merge", s.operations.UserRevert, request)
    except RpcFailed as exc:
        raw = exc.status.details.get("gitaly.UserRevertError")
        detail = operations_pb2.UserRevertError.FromString(raw) if raw is not None else None
        if detail is not None and detail.HasField("changes_already_applied"):
            return None, []
        paths = merge_conflict_paths(exc.status.details)
        if paths is None and exc.status.code != "FAILED_PRECONDITION":
            raise
        return None, paths or conflict_paths(s, repo, ours, request.commit.parent_ids[0])
    code = reply.create_tree_error_code
    if code == operations_pb2.UserRevertResponse.EMPTY:
        return None, []
    if code == operations_pb2.UserRevertResponse.CONFLICT:
        return None, conflict_paths(s, repo, ours, request.commit.parent_ids[0])
    if reply.pre_receive_error or reply.commit_error:
        raise Conflict(f"gitaly: revert refused: {reply.pre_receive_error or reply.commit_error}")
    return str(reply.branch_update.commit_id), []


def revert_release(
    s: Session,
    repo: RepoRef,
    *,
    integration_branch: str,
    expected_head: str,
    current_sha: str,
    target_sha: str,
    scratch_branch: str,
    message: str,
    author: Signature,
) -> RevertOutcome:
    scratch_ref = f"refs/heads/{scratch_branch}"
    if _branch_head(s, repo, integration_branch) != expected_head:
        raise Conflict(f"{integration_branch} is not at {expected_head}")
    s.delete_scratch(repo, scratch_ref)
    head: str | None = None
    for commit in _first_parent_chain(s, repo, current_sha, target_sha):
        if not commit.parent_ids:
            continue  # a root commit has nothing to revert against
        request = operations_pb2.UserRevertRequest(
            repository=s.repo(repo),
            user=convert.user(author),
            commit=commit,
            branch_name=convert.encode(scratch_branch),
            message=convert.encode(message),
            start_branch_name=convert.encode(integration_branch if head is None else ""),
            timestamp=convert.timestamp(author.when),
        )
        new_head, paths = _revert_one(s, repo, request, head or expected_head)
        if paths:
            s.delete_scratch(repo, scratch_ref)
            return RevertOutcome(sha=None, conflicting_paths=paths)
        if new_head is None:
            continue
        if head is None:
            first = s.find_commit(repo, new_head)
            if first is None or list(first.parent_ids)[:1] != [expected_head]:
                s.delete_scratch(repo, scratch_ref)
                raise Conflict(f"{integration_branch} moved during the revert")
        head = new_head
    if head is None or _tree(s, repo, head) == _tree(s, repo, expected_head):
        # Nothing to revert, or reverts that cancel out: "nothing to revert" (§14.6).
        s.delete_scratch(repo, scratch_ref)
        return RevertOutcome(sha=None, empty=True)
    return RevertOutcome(sha=head)


def _tree(s: Session, repo: RepoRef, sha: str) -> str:
    commit = s.find_commit(repo, sha)
    if commit is None:
        raise NotFound("revision", sha)
    return str(commit.tree_id)
