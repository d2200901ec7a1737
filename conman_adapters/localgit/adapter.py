"""``LocalGit``: the embedded ``GitPort`` over bare repositories on local disk."""

from __future__ import annotations

import shutil
from pathlib import Path

from conman_adapters.localgit.diffs import diff_trees
from conman_adapters.localgit.merges import MergeOps
from conman_adapters.localgit.observe import Observer, instrument
from conman_adapters.localgit.proc import run_git
from conman_adapters.localgit.reads import ReadOps
from conman_adapters.localgit.writes import WriteOps
from conman_domain.errors import Conflict, GitUnavailable
from conman_domain.gitmodel import (
    EMPTY_TREE_OID,
    DiffResult,
    RepoRef,
    RevertOutcome,
    Signature,
    SyncOutcome,
    check_ref_name,
)
from conman_domain.ports.git import GitPort

__all__ = ["LocalGit"]


_PORT_METHODS = sorted(
    name for name in vars(GitPort) if not name.startswith("_") and callable(vars(GitPort)[name])
)


@instrument(_PORT_METHODS)
class LocalGit(ReadOps, WriteOps, MergeOps, GitPort):
    """Repositories live at ``<repos_dir>/<relative_path>.git``; see ``docs/git.md``.

    ``observer(method, outcome, seconds)`` is called after every port call when given.
    """

    def __init__(self, repos_dir: Path | str, *, observer: Observer | None = None) -> None:
        super().__init__(repos_dir)
        self._observer = observer

    def ping(self) -> None:
        try:
            self._root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise GitUnavailable(f"repository directory unusable: {exc}") from exc
        run_git(None, ["--version"], timeout=5.0)

    def create_repository(self, repo: RepoRef, *, default_branch: str) -> None:
        path = self._path(repo)
        check_ref_name(f"refs/heads/{default_branch}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.mkdir()  # exclusive: of concurrent creators exactly one gets here
        except FileExistsError as exc:
            raise Conflict(f"repository {repo.relative_path} already exists") from exc
        except OSError as exc:
            raise GitUnavailable(f"cannot create {path}: {exc}") from exc
        try:
            run_git(
                None, ["init", "--quiet", "--bare", f"--initial-branch={default_branch}", str(path)]
            )
        except GitUnavailable:
            shutil.rmtree(path, ignore_errors=True)
            raise
        run_git(path, ["config", "gc.auto", "0"])

    def repository_exists(self, repo: RepoRef) -> bool:
        return (self._path(repo) / "HEAD").is_file()

    def remove_repository(self, repo: RepoRef) -> None:
        path = self._dir(repo)
        self._drop_reader(path)
        try:
            shutil.rmtree(path)
        except OSError as exc:
            raise GitUnavailable(f"cannot remove {path}: {exc}") from exc

    def diff(self, repo: RepoRef, old: str | None, new: str) -> DiffResult:
        git_dir = self._dir(repo)
        old_tree = self._tree(git_dir, old) if old else EMPTY_TREE_OID
        return diff_trees(git_dir, old_tree, self._tree(git_dir, new))

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
        git_dir = self._dir(repo)
        for ref in (scratch_ref, working_scratch_ref):
            self._delete_ref(git_dir, ref, None)
        branch, onto = self._commit(git_dir, branch_sha), self._commit(git_dir, onto_sha)
        merged = self._merge(git_dir, onto, branch, message, author)
        if merged.sha is None:
            return SyncOutcome(branch_sha=None, conflicting_paths=merged.conflicting_paths)
        current = merged.sha
        if working_sha is not None:
            replay = self.list_commits(
                repo, self._commit(git_dir, working_sha), exclude=branch, first_parent=True
            )
            for info in reversed(replay):
                base = info.parents[0] if info.parents else EMPTY_TREE_OID
                step = self._three_way(git_dir, base, current, info.tree)
                if step.tree is None:
                    return SyncOutcome(branch_sha=None, conflicting_paths=step.conflicting_paths)
                current = self._commit_tree(
                    git_dir,
                    step.tree,
                    [current],
                    info.message,
                    author=info.author,
                    committer=author,
                )
            self._update_ref(git_dir, working_scratch_ref, current, None)
        self._update_ref(git_dir, scratch_ref, merged.sha, None)
        return SyncOutcome(branch_sha=merged.sha, working_sha=current if working_sha else None)

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
        git_dir = self._dir(repo)
        scratch = f"refs/heads/{scratch_branch}"
        check_ref_name(scratch)
        self._expect(git_dir, f"refs/heads/{integration_branch}", expected_head)
        self._delete_ref(git_dir, scratch, None)
        merged = self._three_way(git_dir, current_sha, expected_head, target_sha)
        if merged.tree is None:
            return RevertOutcome(sha=None, conflicting_paths=merged.conflicting_paths)
        if merged.tree == self._tree(git_dir, expected_head):
            return RevertOutcome(sha=None, empty=True)
        sha = self._commit_tree(git_dir, merged.tree, [expected_head], message, author=author)
        self._update_ref(git_dir, scratch, sha, None)
        return RevertOutcome(sha=sha)
