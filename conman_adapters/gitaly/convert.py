"""Translation between domain values and Gitaly protobuf messages (the boundary).

No ``_pb2`` object leaves this package: every function here returns either a
protobuf message to send or a domain value built from a received one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf import timestamp_pb2

from conman_adapters.gitaly._pb import shared_pb2
from conman_domain.gitmodel import CommitInfo, RepoRef, Signature

__all__ = [
    "commit_info",
    "decode",
    "encode",
    "repository",
    "signature",
    "timestamp",
    "user",
]


def encode(text: str) -> bytes:
    """Paths, ref names and messages travel as bytes (surrogates round-trip)."""
    return text.encode("utf-8", "surrogateescape")


def decode(raw: bytes) -> str:
    """The inverse of ``encode``."""
    return raw.decode("utf-8", "surrogateescape")


def repository(repo: RepoRef, storage: str) -> shared_pb2.Repository:
    """``{storage_name, relative_path, gl_repository}`` of an app repository."""
    return shared_pb2.Repository(
        storage_name=storage,
        relative_path=repo.relative_path,
        gl_repository=repo.gl_repository or _fallback_gl_repository(repo),
    )


def _fallback_gl_repository(repo: RepoRef) -> str:
    # Gitaly's hooks need a non-empty gl_repository; callers normally pass app-<appId>.
    stem = repo.relative_path.rsplit("/", 1)[-1].removesuffix(".git")
    return f"app-{stem}"


def user(author: Signature) -> shared_pb2.User:
    """The acting user of a mutating call (GITALY.md): ``gl_id`` is ``user-<id>``."""
    username = author.user_id or author.email.split("@", 1)[0]
    return shared_pb2.User(
        gl_id=f"user-{author.user_id or username}",
        name=encode(author.name),
        email=encode(author.email),
        gl_username=username,
        timezone="UTC",
    )


def timestamp(when: datetime) -> timestamp_pb2.Timestamp:
    """A protobuf timestamp of an aware instant, whole seconds (git's resolution)."""
    seconds = int(when.astimezone(UTC).timestamp())
    return timestamp_pb2.Timestamp(seconds=seconds)


def signature(author: shared_pb2.CommitAuthor) -> Signature:
    """A commit author/committer as a domain ``Signature`` (UTC)."""
    when = datetime.fromtimestamp(author.date.seconds, tz=UTC)
    return Signature(name=decode(author.name), email=decode(author.email), when=when)


def commit_info(commit: shared_pb2.GitCommit) -> CommitInfo:
    """A ``GitCommit`` (``body`` holds the whole message) as a domain ``CommitInfo``."""
    return CommitInfo(
        sha=commit.id,
        tree=commit.tree_id,
        parents=list(commit.parent_ids),
        author=signature(commit.author),
        committer=signature(commit.committer),
        message=decode(commit.body),
    )
