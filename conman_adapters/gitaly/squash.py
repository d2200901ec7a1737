"""``squash`` over UserCommitFiles: Gitaly has no "commit this tree" call.

The tree of ``source_sha`` is rebuilt on top of the branch head with file actions:
FindChangedPaths between the two trees gives the changed paths, GetBlobs the new
contents; deletions go first (a file may become a directory or the reverse), then
creations and updates with their executable bit. The resulting tree id is checked
against the source tree before the branch is compare-and-swapped.
"""

from __future__ import annotations

from conman_adapters.gitaly import convert
from conman_adapters.gitaly._pb import diff_pb2, operations_pb2
from conman_adapters.gitaly.commits import ActionSpec, commit_actions, publish
from conman_adapters.gitaly.refs import check_ref
from conman_adapters.gitaly.session import Session
from conman_adapters.gitaly.trees import read_blobs, resolve_commit
from conman_domain.errors import GitUnavailable
from conman_domain.gitmodel import RepoRef, Signature

__all__ = ["squash"]

_H = operations_pb2.UserCommitFilesActionHeader
_S = diff_pb2.ChangedPaths
_EXEC = 0o100755


def _actions(
    s: Session, repo: RepoRef, old_tree: str, new_sha: str, new_tree: str
) -> list[ActionSpec]:
    tree_request = diff_pb2.FindChangedPathsRequest.Request.TreeRequest(
        left_tree_revision=old_tree, right_tree_revision=new_tree
    )
    request = diff_pb2.FindChangedPathsRequest(
        repository=s.repo(repo),
        requests=[diff_pb2.FindChangedPathsRequest.Request(tree_request=tree_request)],
    )
    changes = [p for r in s.stream("diff", s.diffs.FindChangedPaths, request) for p in r.paths]
    deletes: list[ActionSpec] = []
    writes: list[tuple[str, _H.ActionType, bool]] = []  # (path, action, executable)
    for c in changes:
        path = convert.decode(c.path)
        if c.status in {_S.DELETED, _S.TYPE_CHANGE}:
            deletes.append((_H.DELETE, path, "", None, False, False))
        if c.status in {_S.ADDED, _S.TYPE_CHANGE, _S.COPIED}:
            writes.append((path, _H.CREATE, c.new_mode == _EXEC))
        elif c.status == _S.MODIFIED:
            writes.append((path, _H.UPDATE, c.new_mode == _EXEC))
            if c.old_mode != c.new_mode:
                writes.append((path, _H.CHMOD, c.new_mode == _EXEC))
    contents = {b.path: b.data for b in read_blobs(s, repo, new_sha, [w[0] for w in writes])}
    specs = list(deletes)
    for path, kind, executable in writes:
        content = None if kind == _H.CHMOD else contents.get(path, b"")
        specs.append((kind, path, "", content, executable, False))
    return specs


def squash(
    s: Session,
    repo: RepoRef,
    *,
    source_sha: str,
    branch_ref: str,
    expected_old: str,
    message: str,
    author: Signature,
) -> str:
    check_ref(branch_ref)
    source = resolve_commit(s, repo, source_sha)
    base = resolve_commit(s, repo, expected_old)
    specs = _actions(s, repo, base.tree_id, source.id, source.tree_id)
    scratch, sha = commit_actions(
        s, repo, parent=base.id, specs=specs, message=message, author=author
    )
    written = resolve_commit(s, repo, sha)
    if written.tree_id != source.tree_id:
        s.delete_scratch(repo, scratch)
        raise GitUnavailable(
            f"gitaly: squash rebuilt tree {written.tree_id}, expected {source.tree_id}"
        )
    publish(s, repo, ref=branch_ref, expected_old=expected_old, sha=sha, scratch=scratch)
    return sha
