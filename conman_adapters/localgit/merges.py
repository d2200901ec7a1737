"""Merges of ``LocalGit`` with ``merge-tree --write-tree`` (no worktree, git ≥ 2.38).

git 2.39's ``merge-tree`` has no ``--merge-base``, so an explicit-base three-way merge
writes synthetic commits: a parentless commit with the base tree and two children of
it with the ours and theirs trees; their only merge base is then the base commit.
Their identity and date are fixed, so the same inputs reuse the same objects.
"""

from __future__ import annotations

from pathlib import Path

from conman_adapters.localgit.base import LocalGitBase
from conman_adapters.localgit.proc import SYNTHETIC, run_git
from conman_domain.gitmodel import (
    MergeOutcome,
    RepoRef,
    Signature,
    TreeMergeOutcome,
    check_ref_name,
)

__all__ = ["MergeOps"]


def _conflicts(out: bytes) -> list[str]:
    """Paths of ``CONFLICT`` messages in ``merge-tree -z --name-only`` output."""
    _tree, _, rest = out.partition(b"\0")
    names_blob, _, messages = rest.partition(b"\0\0")
    fields = messages.split(b"\0")
    paths: set[str] = set()
    i = 0
    while i < len(fields) and fields[i].isdigit():
        count = int(fields[i])
        names = [f.decode() for f in fields[i + 1 : i + 1 + count]]
        kind = fields[i + 1 + count].decode() if i + 1 + count < len(fields) else ""
        if kind.startswith("CONFLICT"):
            paths.update(names)
        i += count + 3
    if not paths:
        paths = {n.decode() for n in names_blob.split(b"\0") if n}
    # a side's file moved aside as "<path>~<branch>" is reported under its own path
    return sorted(p for p in paths if "~" not in p or p.rsplit("~", 1)[0] not in paths)


class MergeOps(LocalGitBase):
    """``merge_to_ref`` and ``three_way``; sync and revert build on them."""

    def _merge_trees(self, git_dir: Path, ours: str, theirs: str) -> TreeMergeOutcome:
        done = run_git(
            git_dir,
            [
                "merge-tree",
                "--write-tree",
                "--name-only",
                "-z",
                "--allow-unrelated-histories",
                ours,
                theirs,
            ],
            ok=(0, 1),
        )
        if done.returncode == 0:
            return TreeMergeOutcome(tree=done.stdout.split(b"\0", 1)[0].decode().strip())
        return TreeMergeOutcome(tree=None, conflicting_paths=_conflicts(done.stdout))

    def _synthetic(self, git_dir: Path, tree: str, parents: list[str]) -> str:
        args = ["commit-tree", tree, "-m", "synthetic"]
        for parent in parents:
            args += ["-p", parent]
        return run_git(git_dir, args, env=SYNTHETIC).stdout.decode().strip()

    def _three_way(self, git_dir: Path, base: str, ours: str, theirs: str) -> TreeMergeOutcome:
        base_tree = self._tree(git_dir, base)
        ours_tree, theirs_tree = self._tree(git_dir, ours), self._tree(git_dir, theirs)
        if theirs_tree in (ours_tree, base_tree):
            return TreeMergeOutcome(tree=ours_tree)
        if ours_tree == base_tree:
            return TreeMergeOutcome(tree=theirs_tree)
        root = self._synthetic(git_dir, base_tree, [])
        left = self._synthetic(git_dir, ours_tree, [root])
        right = self._synthetic(git_dir, theirs_tree, [root])
        return self._merge_trees(git_dir, left, right)

    def three_way(
        self, repo: RepoRef, *, base_tree: str, ours: str, theirs: str
    ) -> TreeMergeOutcome:
        return self._three_way(self._dir(repo), base_tree, ours, theirs)

    def _merge(
        self, git_dir: Path, source: str, first: str, message: str, author: Signature
    ) -> MergeOutcome:
        merged = self._merge_trees(git_dir, first, source)
        if merged.tree is None:
            return MergeOutcome(sha=None, conflicting_paths=merged.conflicting_paths)
        return MergeOutcome(
            sha=self._commit_tree(git_dir, merged.tree, [first, source], message, author=author)
        )

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
        git_dir = self._dir(repo)
        check_ref_name(target_ref)
        first, source = self._commit(git_dir, first_parent), self._commit(git_dir, source_sha)
        if expected_old is not None:
            self._expect(git_dir, target_ref, expected_old)
        outcome = self._merge(git_dir, source, first, message, author)
        if outcome.sha is not None:
            self._update_ref(git_dir, target_ref, outcome.sha, expected_old)
        return outcome
