"""The one git port (ARCHITECTURE.md §2, §4; DOMAIN.md §6; GITALY.md).

Conventions that hold for every method unless its docstring says otherwise:

- ``repo`` names an app repository. A repository that does not exist →
  ``NotFound("repository", relative_path)``.
- ``ref`` parameters are full ref names (``refs/heads/main``, ``refs/conman/...``);
  ``branch``/``tag`` parameters are short names (``main``, ``r2026.01.02.1``).
- A ``revision`` is a full ref name or a 40-hex commit id (the tree reads
  ``get_entry``, ``list_tree`` and ``read_blobs`` also accept a tree id, e.g. a
  ``three_way`` result); a revision that does not resolve →
  ``NotFound("revision", revision)``.
- ``expected_old`` is a compare-and-swap guard: a commit id the ref must currently
  hold, ``ZERO_OID`` = the ref must not exist, ``None`` = no check (scratch refs
  only, DOMAIN.md §6.2). A mismatch → ``Conflict`` and nothing changes.
- Merge-like operations report conflicts as *values* (``MergeOutcome``,
  ``TreeMergeOutcome``, ``SyncOutcome``, ``RevertOutcome`` with
  ``conflicting_paths``), never by raising; a conflict is an expected outcome.
- Backend unreachable or failing → ``GitUnavailable`` (``GitTimeout`` when a
  deadline was exceeded after retries). No driver exception escapes an adapter.
- Commits are authored *and* committed by the given ``Signature`` (UTC).
- Every method is safe to call from many threads and processes at once; concurrent
  writers are arbitrated by the ref compare-and-swap only.

Changes since first publication (no signature changed): the tree reads accept tree
ids as revisions.

Sync method chosen: **merge-based** (DOMAIN.md §8.6). B' is a merge commit of the
integration head into the workspace branch (first parent = the branch head); the
autosave commits are then rebased onto B'.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

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

__all__ = ["GitPort"]


class GitPort(Protocol):
    """Repositories, refs, trees, blobs, commits, diffs, merges, reverts and tags."""

    # -- health and repositories ---------------------------------------------------

    def ping(self) -> None:
        """A cheap metadata round-trip. Raises ``GitUnavailable`` when the backend is down."""
        ...

    def create_repository(self, repo: RepoRef, *, default_branch: str) -> None:
        """Create an empty repository whose HEAD names ``default_branch`` (no commits yet).

        An existing repository → ``Conflict``.
        """
        ...

    def repository_exists(self, repo: RepoRef) -> bool:
        """Whether the repository exists. Never raises ``NotFound``."""
        ...

    def remove_repository(self, repo: RepoRef) -> None:
        """Delete the repository and everything in it. Missing → ``NotFound``."""
        ...

    # -- refs -----------------------------------------------------------------------

    def resolve(self, repo: RepoRef, revision: str) -> str | None:
        """The commit id ``revision`` points at (tags are peeled), or ``None`` when the
        ref or commit does not exist ("not found" is an answer, not an error)."""
        ...

    def create_branch(self, repo: RepoRef, branch: str, start_sha: str) -> None:
        """Create ``refs/heads/<branch>`` at ``start_sha``.

        The branch exists → ``Conflict`` (resetting is ``update_ref``, not a re-create);
        ``start_sha`` is not a commit → ``NotFound``; an invalid name → ``Validation``.
        """
        ...

    def update_ref(
        self, repo: RepoRef, ref: str, *, new_sha: str, expected_old: str | None
    ) -> None:
        """Compare-and-swap ``ref`` to the commit ``new_sha`` (created when
        ``expected_old == ZERO_OID``). Mismatch → ``Conflict``; ``new_sha`` not a commit
        → ``NotFound``; an invalid ref name → ``Validation``."""
        ...

    def delete_ref(self, repo: RepoRef, ref: str, *, expected_old: str | None) -> None:
        """Compare-and-swap delete of ``ref``. With ``expected_old=None`` a missing ref
        is a no-op (idempotent scratch clean-up); with a commit id, a missing or moved
        ref → ``Conflict``."""
        ...

    def list_branches(self, repo: RepoRef) -> list[Ref]:
        """All ``refs/heads/*`` as short names with their commits, sorted by name."""
        ...

    def list_tags(self, repo: RepoRef) -> list[Ref]:
        """All tags as short names with their (peeled) commits, sorted by name."""
        ...

    def create_tag(self, repo: RepoRef, tag: str, sha: str) -> None:
        """Create the lightweight tag ``refs/tags/<tag>`` at commit ``sha``.

        Tags are immutable: an existing tag → ``Conflict`` (even at the same commit);
        ``sha`` not a commit → ``NotFound``; an invalid name → ``Validation``.
        """
        ...

    def find_tag(self, repo: RepoRef, tag: str) -> str | None:
        """The commit the tag points at, or ``None`` when there is no such tag."""
        ...

    # -- trees and blobs ------------------------------------------------------------

    def get_entry(self, repo: RepoRef, revision: str, path: str) -> TreeEntry | None:
        """The entry at ``path`` (``""`` = the root tree, named ``""``), or ``None``
        when the path does not exist at ``revision``."""
        ...

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
        """List the directory ``path`` at ``revision``: one level, or every descendant
        when ``recursive``. Order (``tree_sort_key``): pre-order walk, within each
        directory the subdirectories first, then files, each by name in byte order.
        ``entries`` is the slice ``[offset : offset + limit]``; ``total`` counts all.

        ``path`` missing → ``NotFound("path", path)``; ``path`` is a file →
        ``Validation``.
        """
        ...

    def read_blobs(self, repo: RepoRef, revision: str, paths: Sequence[str]) -> list[Blob]:
        """The files at ``paths`` at ``revision``, in request order; paths that are
        missing or are directories are left out (never an error)."""
        ...

    def materialize(self, repo: RepoRef, sha: str, dest: Path) -> None:
        """Write the tree of commit ``sha`` into directory ``dest`` (created if missing;
        must be empty), keeping the executable bit. Used to run validation commands."""
        ...

    # -- writing commits ------------------------------------------------------------

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
        """Apply ``actions`` (in order) to the tree of ``parent`` (``None`` = empty tree,
        a root commit), write ONE commit with that parent, and compare-and-swap ``ref``
        from ``expected_old`` to it. Returns the new commit id.

        ``parent`` and ``expected_old`` differ for the first autosave commit (parent =
        branch head, expected_old = ``ZERO_OID``). Errors (as Gitaly maps index errors):
        create/move onto an existing path, or a path under a file → ``Conflict``;
        update/delete/move of a missing file → ``NotFound("file", path)``; a directory
        as target of update/delete, a malformed path, missing content, or no actions →
        ``Validation``; CAS mismatch → ``Conflict``. Nothing is written on any error.
        """
        ...

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
        """Write ONE commit whose tree is the tree of ``source_sha`` and whose parent is
        ``expected_old`` (the branch head), and compare-and-swap ``branch_ref`` to it
        (checkpoint / submit squash, DOMAIN.md §8.2). Returns the new commit id.
        Mismatch → ``Conflict``."""
        ...

    # -- history --------------------------------------------------------------------

    def find_commit(self, repo: RepoRef, revision: str) -> CommitInfo | None:
        """The commit ``revision`` resolves to, or ``None`` when it does not resolve."""
        ...

    def list_commits(
        self,
        repo: RepoRef,
        revision: str,
        *,
        exclude: str | None = None,
        first_parent: bool = False,
        limit: int | None = None,
    ) -> list[CommitInfo]:
        """Commits reachable from ``revision`` but not from ``exclude``, newest first
        (topological order), optionally along first parents only, at most ``limit``."""
        ...

    def is_ancestor(self, repo: RepoRef, ancestor: str, descendant: str) -> bool:
        """Whether commit ``ancestor`` is reachable from ``descendant`` (a commit is its
        own ancestor). Either missing → ``NotFound``."""
        ...

    def merge_base(self, repo: RepoRef, a: str, b: str) -> str | None:
        """The best common ancestor of ``a`` and ``b``, or ``None`` for unrelated
        histories. Either missing → ``NotFound``."""
        ...

    def diff(self, repo: RepoRef, old: str | None, new: str) -> DiffResult:
        """Diff the trees of commits ``old`` (``None`` = empty tree) and ``new``: unified
        patch with 3 context lines, per-file additions/deletions, renames detected
        (``status="renamed"`` with ``old_path``)."""
        ...

    # -- merges ---------------------------------------------------------------------

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
        """Merge ``source_sha`` into ``first_parent`` (a revision) and write the merge
        commit — parents ``[resolve(first_parent), source_sha]``, always a real merge
        commit — to ``target_ref`` (like Gitaly's UserMergeToRef; compose refs and
        trial merges). ``expected_old`` guards ``target_ref`` (``None`` = unchecked).
        A conflict → ``MergeOutcome(sha=None, conflicting_paths=...)`` and nothing is
        written."""
        ...

    def three_way(
        self, repo: RepoRef, *, base_tree: str, ours: str, theirs: str
    ) -> TreeMergeOutcome:
        """Three-way merge of the trees of ``ours`` and ``theirs`` (commit or tree ids)
        against the explicit base ``base_tree`` (a commit or tree id; ``EMPTY_TREE_OID``
        allowed). Returns the merged tree id, or the conflicting paths. Writes no ref.
        Adapters whose backend has no explicit-base merge (GitalyGit) may raise
        ``NotImplementedYet``; the product reaches it only via sync and revert."""
        ...

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
        """Build B' = a merge commit of ``onto_sha`` (the integration head) into
        ``branch_sha`` (first parent) in ``scratch_ref``; then, when ``working_sha`` is
        given, rebase the working-state commits ``branch_sha..working_sha`` onto B',
        one commit each with its original message and author, into
        ``working_scratch_ref`` (W'). Never writes the branch, the autosave ref or the
        integration branch; the caller compare-and-swaps them and deletes the scratch
        refs. On any conflict both scratch refs are left absent and the outcome lists
        the paths."""
        ...

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
        """Build the rollback revert of DOMAIN.md §14.6 on top of H = ``expected_head``
        into ``refs/heads/<scratch_branch>`` and return its last commit. The integration
        branch is NOT moved: the caller compare-and-swaps it from H and deletes the
        scratch branch. LocalGit/InMemoryGit write ONE commit (parent H) whose tree is
        ``three_way(base=tree(current_sha), ours=H, theirs=tree(target_sha))``;
        GitalyGit reverts each first-parent merge of ``current_sha`` down to (excluding)
        ``target_sha``. The integration head is not H → ``Conflict``. Nothing to revert
        → ``RevertOutcome(sha=None, empty=True)``; a conflict → the paths; in both cases
        the scratch branch is absent afterwards."""
        ...
