"""Merges of ``InMemoryGit``: ``merge_to_ref``, ``three_way``, sync and revert."""

from __future__ import annotations

from conman_adapters.memory import git_ops
from conman_adapters.memory.git_base import MemoryGitBase, _Repo
from conman_domain.gitmodel import (
    EMPTY_TREE_OID,
    MergeOutcome,
    RepoRef,
    RevertOutcome,
    Signature,
    SyncOutcome,
    TreeMergeOutcome,
    check_ref_name,
)

__all__ = ["MergeOps"]


class MergeOps(MemoryGitBase):
    """File-level then line-level three-way merges (see ``git_ops.merge_maps``)."""

    def _three_way(self, r: _Repo, base: str, ours: str, theirs: str) -> TreeMergeOutcome:
        files, conflicts = git_ops.merge_maps(
            r.store, self._files(r, base), self._files(r, ours), self._files(r, theirs)
        )
        if files is None:
            return TreeMergeOutcome(tree=None, conflicting_paths=conflicts)
        return TreeMergeOutcome(tree=r.store.build_tree(files))

    def three_way(
        self, repo: RepoRef, *, base_tree: str, ours: str, theirs: str
    ) -> TreeMergeOutcome:
        with self._lock:
            return self._three_way(self._repo(repo), base_tree, ours, theirs)

    def _merge(
        self, r: _Repo, source: str, first: str, message: str, author: Signature
    ) -> MergeOutcome:
        base = git_ops.merge_base(r.store, first, source)
        merged = self._three_way(r, base or EMPTY_TREE_OID, first, source)
        if merged.tree is None:
            return MergeOutcome(sha=None, conflicting_paths=merged.conflicting_paths)
        return MergeOutcome(sha=self._commit_tree(r, merged.tree, [first, source], message, author))

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
        check_ref_name(target_ref)
        with self._lock:
            r = self._repo(repo)
            first, source = self._commit(r, first_parent), self._commit(r, source_sha)
            self._cas(r, target_ref, expected_old)
            outcome = self._merge(r, source, first, message, author)
            if outcome.sha is not None:
                r.refs[target_ref] = outcome.sha
            return outcome

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
        check_ref_name(scratch_ref)
        check_ref_name(working_scratch_ref)
        with self._lock:
            r = self._repo(repo)
            r.refs.pop(scratch_ref, None)
            r.refs.pop(working_scratch_ref, None)
            branch, onto = self._commit(r, branch_sha), self._commit(r, onto_sha)
            merged = self._merge(r, onto, branch, message, author)
            if merged.sha is None:
                return SyncOutcome(branch_sha=None, conflicting_paths=merged.conflicting_paths)
            current = merged.sha
            if working_sha is not None:
                excluded = git_ops.ancestors(r.store, branch)
                replay = git_ops.topo_order(r.store, self._commit(r, working_sha), excluded, True)
                for sha in reversed(replay):
                    info = r.store.commit(sha)
                    base = info.parents[0] if info.parents else EMPTY_TREE_OID
                    step = self._three_way(r, base, current, info.tree)
                    if step.tree is None:
                        return SyncOutcome(
                            branch_sha=None, conflicting_paths=step.conflicting_paths
                        )
                    current = r.store.write_commit(
                        step.tree, [current], info.message, info.author, author
                    )
                r.refs[working_scratch_ref] = current
            r.refs[scratch_ref] = merged.sha
            return SyncOutcome(
                branch_sha=merged.sha, working_sha=current if working_sha is not None else None
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
        scratch = f"refs/heads/{scratch_branch}"
        check_ref_name(scratch)
        with self._lock:
            r = self._repo(repo)
            self._cas(r, f"refs/heads/{integration_branch}", expected_head)
            r.refs.pop(scratch, None)
            head = self._commit(r, expected_head)
            merged = self._three_way(r, current_sha, head, target_sha)
            if merged.tree is None:
                return RevertOutcome(sha=None, conflicting_paths=merged.conflicting_paths)
            if merged.tree == r.store.commit(head).tree:
                return RevertOutcome(sha=None, empty=True)
            sha = self._commit_tree(r, merged.tree, [head], message, author)
            r.refs[scratch] = sha
            return RevertOutcome(sha=sha)
