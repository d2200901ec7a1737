"""Writing commits (UserCommitFiles), history and diffs.

UserCommitFiles only writes branches, while conman commits to any ref (autosave refs
live under ``refs/conman/``) with a compare-and-swap. So every commit is written to a
fresh scratch branch ``conman/tmp/<uuid>`` first; then one atomic UpdateReferences
moves the target ref from its expected value and deletes the scratch branch. On a
lost compare-and-swap only the scratch branch is removed: nothing else changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from conman_adapters.gitaly import convert
from conman_adapters.gitaly._pb import (
    commit_pb2,
    diff_pb2,
    errors_pb2,
    operations_pb2,
    repository_pb2,
)
from conman_adapters.gitaly.diffparse import parse_diff
from conman_adapters.gitaly.refs import SCRATCH_PREFIX, check_ref
from conman_adapters.gitaly.session import Session
from conman_adapters.gitaly.transport import RpcFailed, map_status
from conman_domain.errors import Conflict, ConmanError, NotFound, Validation
from conman_domain.gitmodel import (
    EMPTY_TREE_OID,
    ZERO_OID,
    CommitInfo,
    DiffResult,
    FileAction,
    RepoRef,
    Signature,
)

__all__ = [
    "ActionSpec",
    "commit_actions",
    "diff",
    "is_ancestor",
    "list_commits",
    "merge_base",
    "publish",
]

_CHUNK = 128 * 1024
_Header = operations_pb2.UserCommitFilesActionHeader
#: (action type, path, previous path, content or None, executable, infer content)
ActionSpec = tuple[_Header.ActionType, str, str, bytes | None, bool, bool]


def _check_path(path: str) -> None:
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in {"", ".", ".."} for p in parts):
        raise Validation(f"invalid path {path!r}")


def specs_of(actions: Sequence[FileAction]) -> list[ActionSpec]:
    """Validate the port's file actions and turn them into UserCommitFiles actions."""
    if not actions:
        raise Validation("a commit needs at least one file action")
    specs: list[ActionSpec] = []
    for a in actions:
        _check_path(a.path)
        if a.action in {"create", "update"} and a.content is None:
            raise Validation(f"{a.action} of {a.path} needs content")
        if a.action == "move":
            if not a.previous_path:
                raise Validation(f"move to {a.path} needs previous_path")
            _check_path(a.previous_path)
        kind = {"create": _Header.CREATE, "update": _Header.UPDATE, "delete": _Header.DELETE}
        if a.action == "move":
            infer = a.content is None
            specs.append((_Header.MOVE, a.path, a.previous_path or "", a.content, False, infer))
        else:
            specs.append((kind[a.action], a.path, "", a.content, False, False))
    return specs


def _requests(header: Any, specs: Sequence[ActionSpec]) -> list[Any]:
    requests = [operations_pb2.UserCommitFilesRequest(header=header)]
    for kind, path, previous, content, executable, infer in specs:
        action_header = _Header(
            action=kind,
            file_path=convert.encode(path),
            previous_path=convert.encode(previous),
            execute_filemode=executable,
            infer_content=infer,
        )
        requests.append(
            operations_pb2.UserCommitFilesRequest(
                action=operations_pb2.UserCommitFilesAction(header=action_header)
            )
        )
        for start in range(0, len(content or b""), _CHUNK):
            chunk = (content or b"")[start : start + _CHUNK]
            requests.append(
                operations_pb2.UserCommitFilesRequest(
                    action=operations_pb2.UserCommitFilesAction(content=chunk)
                )
            )
    return requests


def _index_error(exc: RpcFailed) -> ConmanError:
    raw = exc.status.details.get("gitaly.UserCommitFilesError")
    if raw is not None:
        detail = operations_pb2.UserCommitFilesError.FromString(raw)
        if detail.HasField("index_update"):
            path = convert.decode(detail.index_update.path)
            kind = detail.index_update.error_type
            if kind == errors_pb2.IndexError.ERROR_TYPE_FILE_NOT_FOUND:
                return NotFound("file", path)
            if kind in {
                errors_pb2.IndexError.ERROR_TYPE_FILE_EXISTS,
                errors_pb2.IndexError.ERROR_TYPE_DIRECTORY_EXISTS,
            }:
                return Conflict(f"{path} already exists")
            return Validation(f"invalid path {path!r}")
    return map_status(exc.status)


def commit_actions(
    s: Session,
    repo: RepoRef,
    *,
    parent: str | None,
    specs: Sequence[ActionSpec],
    message: str,
    author: Signature,
) -> tuple[str, str]:
    """Commit ``specs`` on top of ``parent`` into a new scratch branch; returns
    ``(scratch ref, commit id)``. Index errors are mapped; nothing else is written."""
    scratch = f"{SCRATCH_PREFIX}{uuid.uuid4().hex}"
    header = operations_pb2.UserCommitFilesRequestHeader(
        repository=s.repo(repo),
        user=convert.user(author),
        branch_name=convert.encode(scratch),
        commit_message=convert.encode(message),
        commit_author_name=convert.encode(author.name),
        commit_author_email=convert.encode(author.email),
        start_sha=parent or "",
        timestamp=convert.timestamp(author.when),
    )
    try:
        reply = s.client_stream("write", s.operations.UserCommitFiles, _requests(header, specs))
    except RpcFailed as exc:
        if parent is not None and s.find_commit(repo, parent) is None:
            raise NotFound("commit", parent) from exc
        raise _index_error(exc) from exc
    if reply.index_error:
        raise Validation(f"gitaly: {reply.index_error}")
    if reply.pre_receive_error:
        raise Conflict(f"gitaly: pre-receive hook refused the commit: {reply.pre_receive_error}")
    return f"refs/heads/{scratch}", str(reply.branch_update.commit_id)


def publish(
    s: Session, repo: RepoRef, *, ref: str, expected_old: str | None, sha: str, scratch: str
) -> None:
    """Compare-and-swap ``ref`` to ``sha`` and delete ``scratch`` in one atomic update."""
    try:
        s.update_refs(repo, [(ref, expected_old, sha), (scratch, sha, ZERO_OID)])
    except RpcFailed as exc:
        s.delete_scratch(repo, scratch)
        if exc.status.code in {"FAILED_PRECONDITION", "ABORTED"}:
            raise Conflict(f"{ref} is not at the expected commit") from exc
        raise


def commit_files(
    s: Session,
    repo: RepoRef,
    *,
    ref: str,
    parent: str | None,
    expected_old: str | None,
    actions: Sequence[FileAction],
    message: str,
    author: Signature,
) -> str:
    check_ref(ref)
    specs = specs_of(actions)
    scratch, sha = commit_actions(
        s, repo, parent=parent, specs=specs, message=message, author=author
    )
    publish(s, repo, ref=ref, expected_old=expected_old, sha=sha, scratch=scratch)
    return sha


def find_commit(s: Session, repo: RepoRef, revision: str) -> CommitInfo | None:
    commit = s.find_commit(repo, revision)
    return None if commit is None else convert.commit_info(commit)


def _require(s: Session, repo: RepoRef, *revisions: str) -> None:
    for revision in revisions:
        if s.find_commit(repo, revision) is None:
            raise NotFound("revision", revision)


def list_commits(
    s: Session,
    repo: RepoRef,
    revision: str,
    *,
    exclude: str | None,
    first_parent: bool,
    limit: int | None,
) -> list[CommitInfo]:
    if limit is not None and limit <= 0:
        _require(s, repo, revision)
        return []
    request = commit_pb2.ListCommitsRequest(
        repository=s.repo(repo),
        revisions=[revision] + ([f"^{exclude}"] if exclude else []),
        order=commit_pb2.ListCommitsRequest.TOPO,
        first_parent=first_parent,
    )
    if limit is not None:
        request.pagination_params.limit = limit
    try:
        replies = s.stream("read", s.commits.ListCommits, request)
    except RpcFailed as exc:
        _require(s, repo, revision, *([exclude] if exclude else []))
        raise map_status(exc.status) from exc
    commits = [convert.commit_info(c) for reply in replies for c in reply.commits]
    return commits if limit is None else commits[:limit]


def is_ancestor(s: Session, repo: RepoRef, ancestor: str, descendant: str) -> bool:
    request = commit_pb2.CommitIsAncestorRequest(
        repository=s.repo(repo), ancestor_id=ancestor, child_id=descendant
    )
    value = bool(s.unary("metadata", s.commits.CommitIsAncestor, request).value)
    if not value:
        _require(s, repo, ancestor, descendant)
    return value


def merge_base(s: Session, repo: RepoRef, a: str, b: str) -> str | None:
    request = repository_pb2.FindMergeBaseRequest(
        repository=s.repo(repo), revisions=[convert.encode(a), convert.encode(b)]
    )
    try:
        base = str(s.unary("metadata", s.repository.FindMergeBase, request).base)
    except RpcFailed as exc:
        _require(s, repo, a, b)
        raise map_status(exc.status) from exc
    if not base:
        _require(s, repo, a, b)
    return base or None


def diff(s: Session, repo: RepoRef, old: str | None, new: str) -> DiffResult:
    _require(s, repo, new, *([old] if old else []))
    request = diff_pb2.RawDiffRequest(
        repository=s.repo(repo), left_commit_id=old or EMPTY_TREE_OID, right_commit_id=new
    )
    data = b"".join(r.data for r in s.stream("diff", s.diffs.RawDiff, request))
    return parse_diff(convert.decode(data))
