"""Reading the two sides of a semantic diff from git (DOMAIN.md §9.5, §10)."""

from __future__ import annotations

from collections.abc import Iterable

from conman_domain.gitmodel import RepoRef
from conman_domain.ports.git import GitPort
from conman_domain.semdiff.build import semantic_diff
from conman_domain.semdiff.model import ProfileOverrideChange, SemanticDiff

__all__ = ["semantic_diff_between"]


def semantic_diff_between(
    git: GitPort,
    repo: RepoRef,
    base_sha: str | None,
    head_sha: str,
    override_changes: Iterable[ProfileOverrideChange] = (),
) -> SemanticDiff:
    """The semantic diff of the trees of ``base_sha`` (None = empty) and ``head_sha``.

    Only the paths the raw diff reports are read; a rename reported by git is read as
    its old path at base and its new path at head, so the comparison (not git's rename
    detection) decides whether it is a move.
    """
    raw = git.diff(repo, base_sha, head_sha)
    old_paths = sorted({f.old_path for f in raw.files if f.old_path is not None})
    new_paths = sorted({f.new_path for f in raw.files if f.new_path is not None})
    base_files = (
        {b.path: b.data for b in git.read_blobs(repo, base_sha, old_paths)}
        if base_sha is not None and old_paths
        else {}
    )
    head_files = (
        {b.path: b.data for b in git.read_blobs(repo, head_sha, new_paths)} if new_paths else {}
    )
    return semantic_diff(
        base_files,
        head_files,
        base_sha=base_sha,
        head_sha=head_sha,
        override_changes=override_changes,
    )
