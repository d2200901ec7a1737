"""RepositoryService and RefService of the test server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc

from conman_adapters.gitaly._pb import (
    errors_pb2,
    ref_pb2,
    ref_pb2_grpc,
    repository_pb2,
    repository_pb2_grpc,
    shared_pb2,
)
from tests.gitaly_server.gitcli import ZERO, git, read_commit, ref_value, resolve
from tests.gitaly_server.state import Abort, State, rpc

_BATCH = 50


class RepositoryService(repository_pb2_grpc.RepositoryServiceServicer):
    def __init__(self, state: State) -> None:
        self.state = state

    @rpc("unary")
    def RepositoryExists(self, request: Any, context: Any) -> Any:
        exists = (self.state.path(request.repository) / "HEAD").is_file()
        return repository_pb2.RepositoryExistsResponse(exists=exists)

    @rpc("unary")
    def CreateRepository(self, request: Any, context: Any) -> Any:
        path = self.state.path(request.repository)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir()  # atomic: exactly one of concurrent creators wins
        except FileExistsError:
            raise Abort(
                grpc.StatusCode.ALREADY_EXISTS, "creating repository: repository exists already"
            ) from None
        branch = request.default_branch.decode() or "main"
        git(None, "init", "--quiet", "--bare", f"--initial-branch={branch}", str(path))
        return repository_pb2.CreateRepositoryResponse()

    @rpc("unary")
    def RemoveRepository(self, request: Any, context: Any) -> Any:
        self.state.remove(self.state.repo(request.repository))
        return repository_pb2.RemoveRepositoryResponse()

    @rpc("unary")
    def FindMergeBase(self, request: Any, context: Any) -> Any:
        repo = self.state.repo(request.repository)
        if len(request.revisions) < 2:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "at least 2 revisions are required")
        revs = [r.decode() for r in request.revisions]
        done = git(repo, "merge-base", *revs, ok=(0, 1, 128))
        base = done.stdout.decode().strip() if done.returncode == 0 else ""
        return repository_pb2.FindMergeBaseResponse(base=base)


def _branch(repo: Any, name: str, sha: str) -> shared_pb2.Branch:
    return shared_pb2.Branch(name=name.encode(), target_commit=read_commit(repo, sha))


def _refs(repo: Any, prefix: str) -> list[tuple[str, str, str]]:
    """``(refname, object id, peeled commit id)`` under ``prefix``."""
    fmt = "%(refname)%00%(objectname)%00%(*objectname)"
    lines = git(repo, "for-each-ref", f"--format={fmt}", prefix).stdout.decode().splitlines()
    rows = [line.split("\0") for line in lines if line]
    return [(r[0], r[1], r[2]) for r in rows]


def _tag(repo: Any, name: str, oid: str, peeled: str) -> shared_pb2.Tag:
    tag = shared_pb2.Tag(name=name.encode(), id=oid, target_commit=read_commit(repo, peeled or oid))
    if peeled:
        body = git(repo, "cat-file", "tag", oid).stdout.partition(b"\n\n")[2]
        tag.message, tag.message_size = body, len(body)
    return tag


class RefService(ref_pb2_grpc.RefServiceServicer):
    def __init__(self, state: State) -> None:
        self.state = state

    @rpc("stream")
    def FindLocalBranches(self, request: Any, context: Any) -> Iterator[Any]:
        repo = self.state.repo(request.repository)
        branches = [_branch(repo, ref, sha) for ref, sha, _ in _refs(repo, "refs/heads/")]
        for start in range(0, len(branches), _BATCH):
            yield ref_pb2.FindLocalBranchesResponse(local_branches=branches[start : start + _BATCH])

    @rpc("stream")
    def FindAllTags(self, request: Any, context: Any) -> Iterator[Any]:
        repo = self.state.repo(request.repository)
        tags = [
            _tag(repo, ref.removeprefix("refs/tags/"), oid, peeled)
            for ref, oid, peeled in _refs(repo, "refs/tags/")
        ]
        for start in range(0, len(tags), _BATCH):
            yield ref_pb2.FindAllTagsResponse(tags=tags[start : start + _BATCH])

    @rpc("unary")
    def FindTag(self, request: Any, context: Any) -> Any:
        repo = self.state.repo(request.repository)
        name = request.tag_name.decode()
        found = _refs(repo, f"refs/tags/{name}")
        if not found or found[0][0] != f"refs/tags/{name}":
            detail = ref_pb2.FindTagError(
                tag_not_found=errors_pb2.ReferenceNotFoundError(
                    reference_name=f"refs/tags/{name}".encode()
                )
            )
            raise Abort(grpc.StatusCode.NOT_FOUND, "tag does not exist", [detail])
        _, oid, peeled = found[0]
        return ref_pb2.FindTagResponse(tag=_tag(repo, name, oid, peeled))

    @rpc("unary")
    def FindBranch(self, request: Any, context: Any) -> Any:
        repo = self.state.repo(request.repository)
        name = request.name.decode().removeprefix("refs/heads/")
        sha = ref_value(repo, f"refs/heads/{name}")
        if sha is None:  # upstream: OK with an empty branch, not NOT_FOUND
            return ref_pb2.FindBranchResponse()
        return ref_pb2.FindBranchResponse(branch=_branch(repo, name, sha))

    @rpc("client")
    def UpdateReferences(self, requests: list[Any], context: Any) -> Any:
        if not requests:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "no updates")
        repo = self.state.repo(requests[0].repository)
        updates = [u for r in requests for u in r.updates]
        lines = []
        for u in updates:
            ref, old, new = u.reference.decode(), u.old_object_id.decode(), u.new_object_id.decode()
            if git(repo, "check-ref-format", ref, ok=(0, 1)).returncode != 0 or not ref.startswith(
                "refs/"
            ):
                detail = ref_pb2.UpdateReferencesError(
                    invalid_format=errors_pb2.InvalidRefFormatError(refs=[u.reference])
                )
                raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "invalid references", [detail])
            if new != ZERO and resolve(repo, new, "object") is None:
                raise Abort(grpc.StatusCode.INVALID_ARGUMENT, f"object {new} does not exist")
            lines.append(
                f"update {ref}\0{new}\0{old}\0" if new != ZERO else f"delete {ref}\0{old}\0"
            )
        done = git(
            repo, "update-ref", "--stdin", "-z", stdin="".join(lines).encode(), ok=(0, 1, 128)
        )
        if done.returncode != 0:
            for u in updates:
                old = u.old_object_id.decode()
                actual = ref_value(repo, u.reference.decode()) or ZERO
                if old and old != actual:
                    mismatch = errors_pb2.ReferenceStateMismatchError(
                        reference_name=u.reference,
                        expected_object_id=u.old_object_id,
                        actual_object_id=actual.encode(),
                    )
                    detail = ref_pb2.UpdateReferencesError(reference_state_mismatch=mismatch)
                    raise Abort(
                        grpc.StatusCode.FAILED_PRECONDITION,
                        "reference does not point to expected object",
                        [detail],
                    )
            raise Abort(grpc.StatusCode.FAILED_PRECONDITION, done.stderr.decode(errors="replace"))
        return ref_pb2.UpdateReferencesResponse()
