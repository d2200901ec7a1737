"""Value types of the git model (DOMAIN.md §6), shared by ``GitPort`` and its adapters.

Object ids are 40-character lowercase hex strings (SHA-1). Ref names are full names
(``refs/heads/main``, ``refs/conman/autosave/<id>``) unless a field says "short".
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from conman_domain.errors import Validation

__all__ = [
    "EMPTY_TREE_OID",
    "ZERO_OID",
    "Blob",
    "CommitInfo",
    "DiffResult",
    "FileAction",
    "FileDiff",
    "MergeOutcome",
    "Ref",
    "RepoRef",
    "RevertOutcome",
    "Signature",
    "SyncOutcome",
    "TreeEntry",
    "TreeMergeOutcome",
    "TreePage",
    "check_file_path",
    "check_ref_name",
    "check_repo_path",
    "tree_sort_key",
]

#: "Must not exist" as an expected old value, "delete" as a new value (GITALY.md).
ZERO_OID = "0" * 40
#: The id of git's empty tree (the same in every SHA-1 repository).
EMPTY_TREE_OID = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

FileActionKind = Literal["create", "update", "delete", "move"]
EntryType = Literal["blob", "tree"]
DiffStatus = Literal["added", "modified", "deleted", "renamed"]


class RepoRef(msgspec.Struct, frozen=True, kw_only=True):
    """Identity of one app repository; ``storage_name`` is adapter configuration."""

    relative_path: str
    gl_repository: str = ""


class Signature(msgspec.Struct, frozen=True, kw_only=True):
    """Author and committer identity; ``when`` is a timezone-aware UTC instant.

    ``user_id`` is optional and only feeds Gitaly's ``User.gl_id`` (``user-<id>``).
    """

    name: str
    email: str
    when: datetime
    user_id: str = ""


class FileAction(msgspec.Struct, frozen=True, kw_only=True):
    """One change of a commit built from file actions.

    - ``create``: ``path`` must not exist; ``content`` required.
    - ``update``: ``path`` must be an existing file; ``content`` required.
    - ``delete``: ``path`` must be an existing file.
    - ``move``: ``previous_path`` must be an existing file and ``path`` must not exist;
      ``content`` ``None`` keeps the moved file's content.
    """

    action: FileActionKind
    path: str
    content: bytes | None = None
    previous_path: str | None = None


class Ref(msgspec.Struct, frozen=True, kw_only=True):
    """A branch or tag: ``name`` is short (``main``, ``r2026.01.02.1``), ``sha`` a commit."""

    name: str
    sha: str


class TreeEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a tree listing; ``path`` is repo-relative, ``size`` is ``None`` for trees.

    ``mode`` is the git file mode as a number (``0o100644``, ``0o100755``, ``0o40000``).
    """

    path: str
    name: str
    type: EntryType
    mode: int
    oid: str
    size: int | None = None


class TreePage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of a tree listing and the total number of entries of the whole listing."""

    entries: list[TreeEntry]
    total: int


class Blob(msgspec.Struct, frozen=True, kw_only=True):
    """A file's content at a revision."""

    path: str
    oid: str
    size: int
    data: bytes


class CommitInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A commit: ``parents`` in order (first parent first)."""

    sha: str
    tree: str
    parents: list[str]
    author: Signature
    committer: Signature
    message: str


class FileDiff(msgspec.Struct, frozen=True, kw_only=True):
    """One changed file: ``old_path`` is ``None`` when added, ``new_path`` when deleted.

    ``patch`` is this file's part of the unified diff (3 context lines, starting at its
    ``diff --git`` line). Binary files have ``binary`` true and zero line counts.
    """

    old_path: str | None
    new_path: str | None
    status: DiffStatus
    additions: int
    deletions: int
    patch: str
    binary: bool = False


class DiffResult(msgspec.Struct, frozen=True, kw_only=True):
    """All changed files (sorted by their new, else old, path) and the whole patch."""

    files: list[FileDiff]
    patch: str

    @property
    def changed_paths(self) -> list[str]:
        """Every path touched: both sides of a rename, sorted, without duplicates."""
        paths = {p for f in self.files for p in (f.old_path, f.new_path) if p is not None}
        return sorted(paths)


class MergeOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """A merge/rebase result: ``sha`` on success, else ``None`` and the conflicting paths."""

    sha: str | None
    conflicting_paths: list[str] = msgspec.field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when the operation produced a commit."""
        return self.sha is not None


class TreeMergeOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """A ``three_way`` result: the merged ``tree`` or ``None`` and the conflicting paths."""

    tree: str | None
    conflicting_paths: list[str] = msgspec.field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when the merge produced a tree."""
        return self.tree is not None


class SyncOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """A workspace sync result (DOMAIN.md §8.6).

    On success ``branch_sha`` is B' and ``working_sha`` W' (``None`` when there was no
    working state). On conflict both are ``None`` and ``conflicting_paths`` is non-empty.
    """

    branch_sha: str | None
    working_sha: str | None = None
    conflicting_paths: list[str] = msgspec.field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when B' (and W' if needed) were built."""
        return self.branch_sha is not None


class RevertOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """A rollback revert result (DOMAIN.md §14.6).

    Exactly one holds: ``sha`` is the last revert commit; ``empty`` (nothing to revert);
    or ``conflicting_paths`` is non-empty.
    """

    sha: str | None
    empty: bool = False
    conflicting_paths: list[str] = msgspec.field(default_factory=list)


def tree_sort_key(path: str, entry_type: EntryType) -> tuple[tuple[int, bytes], ...]:
    """Sort key for listings: pre-order walk, directories before files, names by bytes.

    Every ancestor segment is a directory; the last segment sorts by its own type. A
    directory's key is a prefix of its children's keys, so it precedes them.
    """
    segments = path.split("/")
    key = [(0, s.encode()) for s in segments[:-1]]
    key.append((0 if entry_type == "tree" else 1, segments[-1].encode()))
    return tuple(key)


_REF_FORBIDDEN = set(" ~^:?*[\\")


def check_file_path(path: str) -> None:
    """A repo-relative file path: non-empty ``/``-separated segments, none ``.``/``..``,
    no control character. Else ``Validation``."""
    if not path or path.startswith("/") or path.endswith("/"):
        raise Validation(f"malformed path: {path!r}")
    if any(seg in ("", ".", "..") for seg in path.split("/")):
        raise Validation(f"malformed path: {path!r}")
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        raise Validation(f"malformed path: {path!r}")


def check_ref_name(ref: str) -> None:
    """A full ref name acceptable to ``git check-ref-format``. Else ``Validation``."""
    bad = (
        not ref.startswith("refs/")
        or ref.endswith(("/", ".", ".lock"))
        or ".." in ref
        or "@{" in ref
        or "//" in ref
        or any(c in _REF_FORBIDDEN or ord(c) < 32 or ord(c) == 127 for c in ref)
        or any(seg.startswith(".") or seg.endswith(".lock") for seg in ref.split("/"))
    )
    if bad or ref.count("/") < 2:
        raise Validation(f"invalid ref name: {ref!r}")


def check_repo_path(relative_path: str) -> None:
    """A repository's relative path: a non-empty relative path without ``.``/``..``."""
    try:
        check_file_path(relative_path)
    except Validation:
        raise Validation(f"invalid repository path: {relative_path!r}") from None
