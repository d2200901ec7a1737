"""CommitService, BlobService, DiffService and ConflictsService of the test server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc

from conman_adapters.gitaly._pb import (
    blob_pb2,
    blob_pb2_grpc,
    commit_pb2,
    commit_pb2_grpc,
    conflicts_pb2,
    conflicts_pb2_grpc,
    diff_pb2,
    diff_pb2_grpc,
    shared_pb2,
)
from tests.gitaly_server.gitcli import (
    EMPTY_TREE,
    GitFailed,
    git,
    ls_tree,
    merge_trees,
    read_commit,
    ref_value,
    resolve,
)
from tests.gitaly_server.state import Abort, State, rpc

_BATCH = 100
_CHUNK = 64 * 1024
_TYPES = {
    "blob": commit_pb2.TreeEntry.BLOB,
    "tree": commit_pb2.TreeEntry.TREE,
    "commit": commit_pb2.TreeEntry.COMMIT,
}
_OBJECT_TYPES = {"blob": shared_pb2.BLOB, "tree": shared_pb2.TREE, "commit": shared_pb2.COMMIT}


class CommitService(commit_pb2_grpc.CommitServiceServicer):
    def __init__(self, state: State) -> None:
        self.state = state

    @rpc("unary")
    def FindCommit(self, request: Any, context: Any) -> Any:
        repo = self.state.repo(request.repository)
        sha = resolve(repo, request.revision.decode())
        if sha is None:  # upstream: OK with an empty commit
            return commit_pb2.FindCommitResponse()
        return commit_pb2.FindCommitResponse(commit=read_commit(repo, sha))

    @rpc("stream")
    def ListCommits(self, request: Any, context: Any) -> Iterator[Any]:
        repo = self.state.repo(request.repository)
        args = ["rev-list"]
        if request.order == commit_pb2.ListCommitsRequest.TOPO:
            args.append("--topo-order")
        if request.first_parent:
            args.append("--first-parent")
        if request.pagination_params.limit > 0:
            args.append(f"--max-count={request.pagination_params.limit}")
        try:
            shas = git(repo, *args, *request.revisions, "--").stdout.decode().split()
        except GitFailed as exc:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, f"invalid revision: {exc}") from exc
        for start in range(0, len(shas), _BATCH):
            commits = [read_commit(repo, sha) for sha in shas[start : start + _BATCH]]
            yield commit_pb2.ListCommitsResponse(commits=commits)

    @rpc("unary")
    def CommitIsAncestor(self, request: Any, context: Any) -> Any:
        repo = self.state.repo(request.repository)
        done = git(
            repo,
            "merge-base",
            "--is-ancestor",
            request.ancestor_id,
            request.child_id,
            ok=(0, 1, 128),
        )
        return commit_pb2.CommitIsAncestorResponse(value=done.returncode == 0)

    @rpc("stream")
    def GetTreeEntries(self, request: Any, context: Any) -> Iterator[Any]:
        repo = self.state.repo(request.repository)
        revision, path = request.revision.decode(), request.path.decode().strip("/")
        if not path:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "empty Path")
        commit = resolve(repo, revision)
        if commit is None:
            raise Abort(grpc.StatusCode.NOT_FOUND, "revision doesn't exist")
        prefix = "" if path == "." else f"{path}/"
        tree = commit if path == "." else ref_value(repo, f"{commit}:{path}")
        kind = git(repo, "cat-file", "-t", tree).stdout.decode().strip() if tree else ""
        if tree is None or kind not in {"tree", "commit"}:
            raise Abort(grpc.StatusCode.NOT_FOUND, "tree not found")
        entries = [
            commit_pb2.TreeEntry(
                oid=oid,
                path=f"{prefix}{name}".encode(),
                flat_path=f"{prefix}{name}".encode(),
                type=_TYPES[kind],
                mode=mode,
                commit_oid=commit,
            )
            for mode, kind, oid, name in ls_tree(repo, tree, recursive=request.recursive)
        ]
        if not entries:
            yield commit_pb2.GetTreeEntriesResponse()
        for start in range(0, len(entries), _BATCH):
            yield commit_pb2.GetTreeEntriesResponse(entries=entries[start : start + _BATCH])


class BlobService(blob_pb2_grpc.BlobServiceServicer):
    def __init__(self, state: State) -> None:
        self.state = state

    @rpc("stream")
    def GetBlobs(self, request: Any, context: Any) -> Iterator[Any]:
        repo = self.state.repo(request.repository)
        for rp in request.revision_paths:
            path = rp.path.decode().strip("/")
            found = git(repo, "ls-tree", "-z", rp.revision, "--", path, ok=(0, 128)).stdout
            entry = found.split(b"\0")[0] if found else b""
            if not entry or entry.partition(b"\t")[2].decode() != path:
                yield blob_pb2.GetBlobsResponse(revision=rp.revision, path=rp.path)
                continue
            mode, kind, oid = entry.partition(b"\t")[0].decode().split(" ")
            header = blob_pb2.GetBlobsResponse(
                revision=rp.revision,
                path=rp.path,
                oid=oid,
                mode=int(mode, 8),
                type=_OBJECT_TYPES[kind],
                is_submodule=kind == "commit",
            )
            if kind != "blob":
                yield header
                continue
            data = git(repo, "cat-file", "blob", oid).stdout
            header.size = len(data)
            if request.limit >= 0:
                data = data[: request.limit]
            header.data = data[:_CHUNK]
            yield header
            for start in range(_CHUNK, len(data), _CHUNK):
                yield blob_pb2.GetBlobsResponse(data=data[start : start + _CHUNK])


_STATUS = {
    "A": diff_pb2.ChangedPaths.ADDED,
    "M": diff_pb2.ChangedPaths.MODIFIED,
    "D": diff_pb2.ChangedPaths.DELETED,
    "T": diff_pb2.ChangedPaths.TYPE_CHANGE,
}


class DiffService(diff_pb2_grpc.DiffServiceServicer):
    def __init__(self, state: State) -> None:
        self.state = state

    @rpc("stream")
    def RawDiff(self, request: Any, context: Any) -> Iterator[Any]:
        repo = self.state.repo(request.repository)
        left, right = request.left_commit_id or EMPTY_TREE, request.right_commit_id
        try:
            data = git(
                repo,
                "-c",
                "core.quotePath=false",
                "diff",
                "--full-index",
                "-M",
                "--no-color",
                left,
                right,
            ).stdout
        except GitFailed as exc:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc)) from exc
        for start in range(0, len(data), _CHUNK):
            yield diff_pb2.RawDiffResponse(data=data[start : start + _CHUNK])

    @rpc("stream")
    def FindChangedPaths(self, request: Any, context: Any) -> Iterator[Any]:
        repo = self.state.repo(request.repository)
        for r in request.requests:
            if r.HasField("tree_request"):
                left, right = r.tree_request.left_tree_revision, r.tree_request.right_tree_revision
            else:
                right = r.commit_request.commit_revision
                parents = list(r.commit_request.parent_commit_revisions)
                left = parents[0] if parents else (resolve(repo, f"{right}^") or EMPTY_TREE)
            try:
                raw = git(repo, "diff-tree", "-r", "-z", "--no-renames", left, right).stdout
            except GitFailed as exc:
                raise Abort(grpc.StatusCode.NOT_FOUND, str(exc)) from exc
            fields = [f for f in raw.split(b"\0") if f]
            paths = []
            for meta, path in zip(fields[0::2], fields[1::2], strict=True):
                old_mode, new_mode, old_id, new_id, status = meta.decode().lstrip(":").split(" ")
                paths.append(
                    diff_pb2.ChangedPaths(
                        path=path,
                        status=_STATUS[status[0]],
                        old_mode=int(old_mode, 8),
                        new_mode=int(new_mode, 8),
                        old_blob_id=old_id,
                        new_blob_id=new_id,
                    )
                )
            yield diff_pb2.FindChangedPathsResponse(paths=paths)


class ConflictsService(conflicts_pb2_grpc.ConflictsServiceServicer):
    def __init__(self, state: State) -> None:
        self.state = state

    @rpc("stream")
    def ListConflictFiles(self, request: Any, context: Any) -> Iterator[Any]:
        repo = self.state.repo(request.repository)
        ours, theirs = (
            resolve(repo, request.our_commit_oid),
            resolve(repo, request.their_commit_oid),
        )
        if ours is None or theirs is None:
            raise Abort(grpc.StatusCode.FAILED_PRECONDITION, "could not resolve commits")
        _, paths = merge_trees(repo, ours, theirs)
        files = [
            conflicts_pb2.ConflictFile(
                header=conflicts_pb2.ConflictFileHeader(
                    commit_oid=ours, our_path=p.encode(), their_path=p.encode()
                )
            )
            for p in paths
        ]
        yield conflicts_pb2.ListConflictFilesResponse(files=files)
