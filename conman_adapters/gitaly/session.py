"""The service stubs of one Gitaly address and typed helpers shared by the operations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from conman_adapters.gitaly import convert
from conman_adapters.gitaly._pb import (
    blob_pb2_grpc,
    commit_pb2,
    commit_pb2_grpc,
    conflicts_pb2_grpc,
    diff_pb2_grpc,
    operations_pb2_grpc,
    ref_pb2,
    ref_pb2_grpc,
    repository_pb2_grpc,
    shared_pb2,
)
from conman_adapters.gitaly.transport import CallClass, RpcFailed, Transport, map_status
from conman_domain.gitmodel import ZERO_OID, RepoRef

__all__ = ["Session", "translated"]


def _stub(module: Any, name: str, channel: Any) -> Any:
    # The generated stubs are untyped: each method is a grpc multi-callable.
    return getattr(module, name)(channel)


class Session:
    """Stubs of every service of the subset over one transport, and the storage name."""

    def __init__(self, transport: Transport, storage: str) -> None:
        channel = transport.channel
        self.transport = transport
        self.storage = storage
        self.repository = _stub(repository_pb2_grpc, "RepositoryServiceStub", channel)
        self.refs = _stub(ref_pb2_grpc, "RefServiceStub", channel)
        self.commits = _stub(commit_pb2_grpc, "CommitServiceStub", channel)
        self.blobs = _stub(blob_pb2_grpc, "BlobServiceStub", channel)
        self.diffs = _stub(diff_pb2_grpc, "DiffServiceStub", channel)
        self.operations = _stub(operations_pb2_grpc, "OperationServiceStub", channel)
        self.conflicts = _stub(conflicts_pb2_grpc, "ConflictsServiceStub", channel)

    def repo(self, repo: RepoRef) -> shared_pb2.Repository:
        """The ``Repository`` message of ``repo`` on the configured storage."""
        return convert.repository(repo, self.storage)

    def unary(self, kind: CallClass, method: Any, request: Any) -> Any:
        """A unary call with the class deadline and retries."""
        return self.transport.call(kind, lambda timeout: method(request, timeout=timeout))

    def stream(self, kind: CallClass, method: Any, request: Any) -> list[Any]:
        """A server-streaming call, fully read inside the retried attempt."""
        return self.transport.call(kind, lambda timeout: list(method(request, timeout=timeout)))

    def client_stream(self, kind: CallClass, method: Any, requests: list[Any]) -> Any:
        """A client-streaming call; ``requests`` is re-sent as a whole on a retry."""
        return self.transport.call(kind, lambda timeout: method(iter(requests), timeout=timeout))

    def find_commit(self, repo: RepoRef, revision: str) -> shared_pb2.GitCommit | None:
        """FindCommit: the commit ``revision`` resolves to, or ``None`` (OK + empty)."""
        request = commit_pb2.FindCommitRequest(
            repository=self.repo(repo), revision=convert.encode(revision)
        )
        commit = self.unary("metadata", self.commits.FindCommit, request).commit
        return commit if commit.id else None

    def update_refs(self, repo: RepoRef, updates: list[tuple[str, str | None, str]]) -> None:
        """UpdateReferences, atomically: ``(ref, expected_old or None = unchecked, new)``;
        ``new`` = ``ZERO_OID`` deletes."""
        request = ref_pb2.UpdateReferencesRequest(
            repository=self.repo(repo),
            updates=[
                ref_pb2.UpdateReferencesRequest.Update(
                    reference=convert.encode(ref),
                    old_object_id=(old or "").encode("ascii"),
                    new_object_id=new.encode("ascii"),
                )
                for ref, old, new in updates
            ],
        )
        self.client_stream("write", self.refs.UpdateReferences, [request])

    def delete_scratch(self, repo: RepoRef, *refs: str) -> None:
        """Delete scratch refs unchecked; a missing ref is fine."""
        self.update_refs(repo, [(ref, None, ZERO_OID) for ref in refs])


@contextmanager
def translated(repo: RepoRef) -> Iterator[None]:
    """Map any failure left unhandled by an operation to its domain error."""
    try:
        yield
    except RpcFailed as exc:
        raise map_status(exc.status, entity="repository", entity_id=repo.relative_path) from exc
