"""Repositories, refs and tags over RepositoryService, RefService and OperationService."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from conman_adapters.gitaly import convert
from conman_adapters.gitaly._pb import operations_pb2, ref_pb2, repository_pb2
from conman_adapters.gitaly.session import Session
from conman_adapters.gitaly.transport import RpcFailed
from conman_domain.errors import Conflict, GitUnavailable, NotFound, Validation
from conman_domain.gitmodel import ZERO_OID, Ref, RepoRef, Signature

__all__ = [
    "SCRATCH_PREFIX",
    "SYSTEM",
    "check_ref",
    "create_branch",
    "create_repository",
    "create_tag",
    "delete_ref",
    "find_tag",
    "list_branches",
    "list_tags",
    "ping",
    "remove_repository",
    "repository_exists",
    "update_ref",
]

#: System actions act as Conman (DOMAIN.md §6.2); the port's branch/tag calls carry no user.
SYSTEM = Signature(name="Conman", email="conman@localhost", when=datetime(1970, 1, 1, tzinfo=UTC))
#: Branch prefix of the scratch branches UserCommitFiles writes before the ref CAS.
SCRATCH_PREFIX = "conman/tmp/"
_PING_REPO = RepoRef(relative_path="@conman/ping.git", gl_repository="app-ping")
_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|/\.|\.lock(/|$)|^\.|/$|\.$|^@$")


def check_ref(name: str, *, full: bool = True) -> None:
    """``git check-ref-format`` rules; a full name must start with ``refs/``."""
    if (full and not name.startswith("refs/")) or not name or _BAD_REF.search(name):
        raise Validation(f"invalid ref name {name!r}")


def ping(s: Session) -> None:
    request = repository_pb2.RepositoryExistsRequest(repository=s.repo(_PING_REPO))
    try:
        s.unary("metadata", s.repository.RepositoryExists, request)
    except RpcFailed as exc:
        # The server answered: a probe path it dislikes still proves it is up.
        if exc.status.code not in {"NOT_FOUND", "INVALID_ARGUMENT"}:
            raise GitUnavailable(f"gitaly: {exc.status.code}: {exc.status.message}") from exc


def create_repository(s: Session, repo: RepoRef, default_branch: str) -> None:
    check_ref(default_branch, full=False)
    request = repository_pb2.CreateRepositoryRequest(
        repository=s.repo(repo), default_branch=convert.encode(default_branch)
    )
    try:
        s.unary("write", s.repository.CreateRepository, request)
    except RpcFailed as exc:
        if exc.status.code in {"ALREADY_EXISTS", "FAILED_PRECONDITION"}:
            raise Conflict(f"repository {repo.relative_path} already exists") from exc
        raise


def repository_exists(s: Session, repo: RepoRef) -> bool:
    request = repository_pb2.RepositoryExistsRequest(repository=s.repo(repo))
    return bool(s.unary("metadata", s.repository.RepositoryExists, request).exists)


def remove_repository(s: Session, repo: RepoRef) -> None:
    request = repository_pb2.RemoveRepositoryRequest(repository=s.repo(repo))
    s.unary("write", s.repository.RemoveRepository, request)


def _raise_missing_commit(s: Session, repo: RepoRef, sha: str, exc: RpcFailed) -> None:
    if exc.status.code != "NOT_FOUND" and s.find_commit(repo, sha) is None:
        raise NotFound("commit", sha) from exc


def update_ref(s: Session, repo: RepoRef, ref: str, new_sha: str, expected_old: str | None) -> None:
    check_ref(ref)
    try:
        s.update_refs(repo, [(ref, expected_old, new_sha)])
    except RpcFailed as exc:
        if new_sha != ZERO_OID:
            _raise_missing_commit(s, repo, new_sha, exc)
        if exc.status.code in {"FAILED_PRECONDITION", "ABORTED"}:
            raise Conflict(f"{ref} is not at the expected commit") from exc
        raise


def _branch_exists(s: Session, repo: RepoRef, branch: str) -> bool:
    request = ref_pb2.FindBranchRequest(repository=s.repo(repo), name=convert.encode(branch))
    return bool(s.unary("metadata", s.refs.FindBranch, request).branch.name)


def delete_ref(s: Session, repo: RepoRef, ref: str, expected_old: str | None) -> None:
    """Branches go through UserDeleteBranch (Gitaly's hooks run); other refs, and the
    "must not exist" guard, through UpdateReferences."""
    check_ref(ref)
    if not ref.startswith("refs/heads/") or expected_old == ZERO_OID:
        update_ref(s, repo, ref, ZERO_OID, expected_old)
        return
    branch = ref.removeprefix("refs/heads/")
    if expected_old is None and not _branch_exists(s, repo, branch):
        return  # idempotent clean-up of a missing ref
    request = operations_pb2.UserDeleteBranchRequest(
        repository=s.repo(repo),
        branch_name=convert.encode(branch),
        user=convert.user(SYSTEM),
        expected_old_oid=expected_old or "",
    )
    try:
        s.unary("write", s.operations.UserDeleteBranch, request)
    except RpcFailed as exc:
        if exc.status.code in {"FAILED_PRECONDITION", "NOT_FOUND", "ABORTED"}:
            if expected_old is None and not _branch_exists(s, repo, branch):
                return  # deleted concurrently: the goal is reached
            raise Conflict(f"{ref} is not at the expected commit") from exc
        raise


def create_branch(s: Session, repo: RepoRef, branch: str, start_sha: str) -> None:
    check_ref(f"refs/heads/{branch}")
    request = operations_pb2.UserCreateBranchRequest(
        repository=s.repo(repo),
        branch_name=convert.encode(branch),
        user=convert.user(SYSTEM),
        start_point=convert.encode(start_sha),
    )
    try:
        s.unary("write", s.operations.UserCreateBranch, request)
    except RpcFailed as exc:
        _raise_missing_commit(s, repo, start_sha, exc)
        if exc.status.code in {"FAILED_PRECONDITION", "ALREADY_EXISTS"}:
            raise Conflict(f"branch {branch} already exists") from exc
        raise


def _short(name: bytes, prefix: str) -> str:
    return convert.decode(name).removeprefix(prefix)


def list_branches(s: Session, repo: RepoRef) -> list[Ref]:
    request = ref_pb2.FindLocalBranchesRequest(repository=s.repo(repo))
    replies = s.stream("read", s.refs.FindLocalBranches, request)
    refs = [
        Ref(name=_short(b.name, "refs/heads/"), sha=b.target_commit.id)
        for reply in replies
        for b in reply.local_branches
    ]
    # Hide the transient scratch branches of commit_files/squash (module ``commits``).
    visible = [r for r in refs if not r.name.startswith(SCRATCH_PREFIX)]
    return sorted(visible, key=lambda r: r.name.encode())


def list_tags(s: Session, repo: RepoRef) -> list[Ref]:
    request = ref_pb2.FindAllTagsRequest(repository=s.repo(repo))
    replies = s.stream("read", s.refs.FindAllTags, request)
    refs = [
        Ref(name=_short(t.name, "refs/tags/"), sha=t.target_commit.id or t.id)
        for reply in replies
        for t in reply.tags
    ]
    return sorted(refs, key=lambda r: r.name.encode())


def create_tag(s: Session, repo: RepoRef, tag: str, sha: str) -> None:
    check_ref(f"refs/tags/{tag}")
    request = operations_pb2.UserCreateTagRequest(
        repository=s.repo(repo),
        tag_name=convert.encode(tag),
        user=convert.user(SYSTEM),
        target_revision=convert.encode(sha),
    )
    try:
        s.unary("write", s.operations.UserCreateTag, request)
    except RpcFailed as exc:
        _raise_missing_commit(s, repo, sha, exc)
        if exc.status.code in {"ALREADY_EXISTS", "FAILED_PRECONDITION"}:
            raise Conflict(f"tag {tag} already exists") from exc
        raise


def find_tag(s: Session, repo: RepoRef, tag: str) -> str | None:
    request = ref_pb2.FindTagRequest(repository=s.repo(repo), tag_name=convert.encode(tag))
    try:
        reply = s.unary("metadata", s.refs.FindTag, request)
    except RpcFailed as exc:
        if exc.status.code == "NOT_FOUND" and "gitaly.FindTagError" in exc.status.details:
            return None
        raise
    found: str = reply.tag.target_commit.id or reply.tag.id
    return found or None
