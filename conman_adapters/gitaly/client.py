"""``GitalyGit``: the ``GitPort`` over a Gitaly server (ARCHITECTURE.md §4, GITALY.md).

Each method delegates to the operation modules (``refs``, ``trees``, ``commits``,
``squash``, ``merges``) and runs inside ``translated``, so that no gRPC error or
protobuf object escapes: failures become domain errors, replies domain values.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from conman_adapters.gitaly import commits, merges, refs, squash, trees
from conman_adapters.gitaly.session import Session, translated
from conman_adapters.gitaly.transport import GitalyDeadlines, RetryPolicy, Transport, channel_for
from conman_domain.errors import NotImplementedYet
from conman_domain.gitmodel import (
    Blob,
    CommitInfo,
    DiffResult,
    FileAction,
    MergeOutcome,
    Ref,
    RepoRef,
    RevertOutcome,
    Signature,
    SyncOutcome,
    TreeEntry,
    TreeMergeOutcome,
    TreePage,
)
from conman_domain.ports.git import GitPort

__all__ = ["GitalyGit"]


class GitalyGit(GitPort):
    """Git over gRPC to Gitaly; one channel per process and address."""

    def __init__(
        self,
        address: str,
        *,
        storage: str = "default",
        deadlines: GitalyDeadlines | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        transport = Transport(
            channel_for(address),
            deadlines or GitalyDeadlines(),
            retry or RetryPolicy(),
            sleep=sleep,
        )
        self.address = address
        self._s = Session(transport, storage)

    # -- health and repositories -----------------------------------------------------

    def ping(self) -> None:
        refs.ping(self._s)

    def create_repository(self, repo: RepoRef, *, default_branch: str) -> None:
        with translated(repo):
            refs.create_repository(self._s, repo, default_branch)

    def repository_exists(self, repo: RepoRef) -> bool:
        with translated(repo):
            return refs.repository_exists(self._s, repo)

    def remove_repository(self, repo: RepoRef) -> None:
        with translated(repo):
            refs.remove_repository(self._s, repo)

    # -- refs ------------------------------------------------------------------------

    def resolve(self, repo: RepoRef, revision: str) -> str | None:
        with translated(repo):
            commit = self._s.find_commit(repo, revision)
            return None if commit is None else str(commit.id)

    def create_branch(self, repo: RepoRef, branch: str, start_sha: str) -> None:
        with translated(repo):
            refs.create_branch(self._s, repo, branch, start_sha)

    def update_ref(
        self, repo: RepoRef, ref: str, *, new_sha: str, expected_old: str | None
    ) -> None:
        with translated(repo):
            refs.update_ref(self._s, repo, ref, new_sha, expected_old)

    def delete_ref(self, repo: RepoRef, ref: str, *, expected_old: str | None) -> None:
        with translated(repo):
            refs.delete_ref(self._s, repo, ref, expected_old)

    def list_branches(self, repo: RepoRef) -> list[Ref]:
        with translated(repo):
            return refs.list_branches(self._s, repo)

    def list_tags(self, repo: RepoRef) -> list[Ref]:
        with translated(repo):
            return refs.list_tags(self._s, repo)

    def create_tag(self, repo: RepoRef, tag: str, sha: str) -> None:
        with translated(repo):
            refs.create_tag(self._s, repo, tag, sha)

    def find_tag(self, repo: RepoRef, tag: str) -> str | None:
        with translated(repo):
            return refs.find_tag(self._s, repo, tag)

    # -- trees and blobs -------------------------------------------------------------

    def get_entry(self, repo: RepoRef, revision: str, path: str) -> TreeEntry | None:
        with translated(repo):
            return trees.get_entry(self._s, repo, revision, path)

    def list_tree(
        self,
        repo: RepoRef,
        revision: str,
        path: str = "",
        *,
        recursive: bool = False,
        offset: int = 0,
        limit: int | None = None,
    ) -> TreePage:
        with translated(repo):
            return trees.list_tree(
                self._s, repo, revision, path, recursive=recursive, offset=offset, limit=limit
            )

    def read_blobs(self, repo: RepoRef, revision: str, paths: Sequence[str]) -> list[Blob]:
        with translated(repo):
            return trees.read_blobs(self._s, repo, revision, paths)

    def materialize(self, repo: RepoRef, sha: str, dest: Path) -> None:
        with translated(repo):
            trees.materialize(self._s, repo, sha, dest)

    # -- writing commits -------------------------------------------------------------

    def commit_files(
        self,
        repo: RepoRef,
        *,
        ref: str,
        parent: str | None,
        expected_old: str | None,
        actions: Sequence[FileAction],
        message: str,
        author: Signature,
    ) -> str:
        with translated(repo):
            return commits.commit_files(
                self._s,
                repo,
                ref=ref,
                parent=parent,
                expected_old=expected_old,
                actions=actions,
                message=message,
                author=author,
            )

    def squash(
        self,
        repo: RepoRef,
        *,
        source_sha: str,
        branch_ref: str,
        expected_old: str,
        message: str,
        author: Signature,
    ) -> str:
        with translated(repo):
            return squash.squash(
                self._s,
                repo,
                source_sha=source_sha,
                branch_ref=branch_ref,
                expected_old=expected_old,
                message=message,
                author=author,
            )

    # -- history ---------------------------------------------------------------------

    def find_commit(self, repo: RepoRef, revision: str) -> CommitInfo | None:
        with translated(repo):
            return commits.find_commit(self._s, repo, revision)

    def list_commits(
        self,
        repo: RepoRef,
        revision: str,
        *,
        exclude: str | None = None,
        first_parent: bool = False,
        limit: int | None = None,
    ) -> list[CommitInfo]:
        with translated(repo):
            return commits.list_commits(
                self._s, repo, revision, exclude=exclude, first_parent=first_parent, limit=limit
            )

    def is_ancestor(self, repo: RepoRef, ancestor: str, descendant: str) -> bool:
        with translated(repo):
            return commits.is_ancestor(self._s, repo, ancestor, descendant)

    def merge_base(self, repo: RepoRef, a: str, b: str) -> str | None:
        with translated(repo):
            return commits.merge_base(self._s, repo, a, b)

    def diff(self, repo: RepoRef, old: str | None, new: str) -> DiffResult:
        with translated(repo):
            return commits.diff(self._s, repo, old, new)

    # -- merges ----------------------------------------------------------------------

    def merge_to_ref(
        self,
        repo: RepoRef,
        *,
        source_sha: str,
        first_parent: str,
        target_ref: str,
        message: str,
        author: Signature,
        expected_old: str | None = None,
    ) -> MergeOutcome:
        with translated(repo):
            refs.check_ref(target_ref)
            return merges.merge_to_ref(
                self._s,
                repo,
                source_sha=source_sha,
                first_parent=first_parent,
                target_ref=target_ref,
                message=message,
                author=author,
                expected_old=expected_old,
            )

    def three_way(
        self, repo: RepoRef, *, base_tree: str, ours: str, theirs: str
    ) -> TreeMergeOutcome:
        """Gitaly has no merge with an explicit base and no way to write a bare tree:
        sync uses UserMergeToRef/UserRebaseToRef and rollback UserRevert instead."""
        raise NotImplementedYet("three_way is not available over Gitaly")

    def sync_branch(
        self,
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
        with translated(repo):
            return merges.sync_branch(
                self._s,
                repo,
                branch_sha=branch_sha,
                onto_sha=onto_sha,
                working_sha=working_sha,
                scratch_ref=scratch_ref,
                working_scratch_ref=working_scratch_ref,
                message=message,
                author=author,
            )

    def revert_release(
        self,
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
        with translated(repo):
            return merges.revert_release(
                self._s,
                repo,
                integration_branch=integration_branch,
                expected_head=expected_head,
                current_sha=current_sha,
                target_sha=target_sha,
                scratch_branch=scratch_branch,
                message=message,
                author=author,
            )
