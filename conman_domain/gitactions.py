"""Planning a commit from file actions: the rules every ``GitPort`` adapter applies.

``plan_actions`` checks ``FileAction``s (in order) against the parent tree, seen
through ``lookup``, and returns the resulting per-path changes. Error mapping follows
Gitaly's index errors: existing target → ``Conflict``; missing file → ``NotFound``;
directory where a file is needed, malformed path, missing content → ``Validation``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from conman_domain.errors import Conflict, NotFound, Validation
from conman_domain.gitmodel import FileAction, check_file_path

__all__ = ["FILE_MODE", "PathChange", "PathInfo", "plan_actions"]

FILE_MODE = 0o100644


class PathInfo(msgspec.Struct, frozen=True):
    """What the parent tree holds at a path: ``kind`` is ``blob`` or ``tree``."""

    kind: str
    mode: int
    oid: str


class PathChange(msgspec.Struct, frozen=True):
    """New state of a file: write ``content`` (or reuse blob ``oid``) with ``mode``."""

    mode: int
    content: bytes | None = None
    oid: str | None = None


def plan_actions(
    actions: Sequence[FileAction], lookup: Callable[[str], PathInfo | None]
) -> dict[str, PathChange | None]:
    """The changes ``actions`` make (``None`` = delete), or a domain error."""
    if not actions:
        raise Validation("a commit needs at least one file action")
    changes: dict[str, PathChange | None] = {}
    new_dirs: set[str] = set()  # directories that written files now need

    def kind(path: str) -> str | None:
        if path in changes:
            return "blob" if changes[path] is not None else None
        if path in new_dirs:
            return "tree"
        found = lookup(path)
        return found.kind if found else None

    def current(path: str) -> PathChange:
        change = changes.get(path)
        if change is not None:
            return change
        found = lookup(path)
        assert found is not None
        return PathChange(mode=found.mode, oid=found.oid)

    def must_be_file(path: str) -> None:
        found = kind(path)
        if found == "tree":
            raise Validation(f"path is a directory: {path}")
        if found is None:
            raise NotFound("file", path)

    def must_be_free(path: str) -> None:
        if kind(path) is not None:
            raise Conflict(f"a file or directory already exists at {path}")
        parts = path.split("/")
        if any(kind("/".join(parts[:i])) == "blob" for i in range(1, len(parts))):
            raise Conflict(f"a parent directory of {path} is a file")

    def put(path: str, change: PathChange) -> None:
        changes[path] = change
        parts = path.split("/")
        new_dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))

    for action in actions:
        check_file_path(action.path)
        path = action.path
        if action.action in ("create", "update") and action.content is None:
            raise Validation(f"content is required to {action.action} {path}")
        if action.action == "create":
            must_be_free(path)
            put(path, PathChange(mode=FILE_MODE, content=action.content))
        elif action.action == "update":
            must_be_file(path)
            put(path, PathChange(mode=current(path).mode, content=action.content))
        elif action.action == "delete":
            must_be_file(path)
            changes[path] = None
        else:
            if action.previous_path is None:
                raise Validation(f"move to {path} needs previous_path")
            check_file_path(action.previous_path)
            must_be_file(action.previous_path)
            moved = current(action.previous_path)
            changes[action.previous_path] = None
            must_be_free(path)
            if action.content is not None:
                moved = PathChange(mode=moved.mode, content=action.content)
            put(path, moved)
    return changes
