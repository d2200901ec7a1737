"""GET files with a paginated directory listing (API.md §1.5, §8.2).

A directory lists one page of its entries, directories first then files, each by
name in byte order (``GitPort.list_tree`` order), with the total; a file is read as
``files.ReadPath`` reads it (``?encoding=utf-8`` falls back to base64 for bytes that
are not UTF-8, API.md §1.8), without loading the workspace twice.
"""

from __future__ import annotations

import base64

import msgspec

from conman_domain.errors import NotFound
from conman_domain.rules.paths import validate_path
from conman_domain.usecases.files import DirEntry, DirListing, FileContent, ReadPathCmd
from conman_domain.usecases.workspace_context import WorkspaceContext, WorkspaceDeps

__all__ = ["BrowsePath", "BrowseResult"]


class BrowseResult(msgspec.Struct, kw_only=True):
    """A file, or one page of a directory with the number of all its entries."""

    item: DirListing | FileContent
    total: int | None = None


class BrowsePath:
    """Read the working state at ``path``: a directory page or a file (any member)."""

    def __init__(self, deps: WorkspaceDeps) -> None:
        self._d = deps

    def __call__(
        self, cmd: ReadPathCmd, *, page: int = 1, limit: int | None = None
    ) -> BrowseResult:
        """A file, or a directory listing: the whole level when ``limit`` is ``None``
        (API.md §8.2's shape), else the page ``page`` of ``limit`` entries."""
        ctx = WorkspaceContext(self._d, cmd.ref, write=False)
        path = validate_path(cmd.path, for_write=False)
        working = ctx.state().working_sha
        git = self._d.git
        entry = git.get_entry(ctx.repo, working, path)
        if entry is None:
            raise NotFound("path", path)
        if entry.type == "blob":
            blob = git.read_blobs(ctx.repo, working, [path])[0]
            text = _utf8(blob.data) if cmd.encoding == "utf-8" else None
            content = text if text is not None else base64.b64encode(blob.data).decode("ascii")
            item = FileContent(
                path=path,
                content=content,
                encoding="utf-8" if text is not None else "base64",
                size=blob.size,
                oid=blob.oid,
            )
            return BrowseResult(item=item)
        offset = 0 if limit is None else (page - 1) * limit
        listing = git.list_tree(ctx.repo, working, path, offset=offset, limit=limit)
        entries = [
            DirEntry(
                path=e.path,
                name=e.name,
                type="dir" if e.type == "tree" else "file",
                size=0 if e.type == "tree" else (e.size or 0),
                oid=e.oid,
            )
            for e in listing.entries
        ]
        total = None if limit is None else listing.total
        return BrowseResult(item=DirListing(path=path, entries=entries), total=total)


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None  # not text: the caller falls back to base64 (API.md §1.8)
