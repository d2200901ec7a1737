"""Trees and blobs over CommitService.GetTreeEntries and BlobService.GetBlobs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conman_adapters.gitaly import convert
from conman_adapters.gitaly._pb import blob_pb2, commit_pb2, shared_pb2
from conman_adapters.gitaly.session import Session
from conman_adapters.gitaly.transport import RpcFailed
from conman_domain.errors import NotFound, Validation
from conman_domain.gitmodel import Blob, EntryType, RepoRef, TreeEntry, TreePage, tree_sort_key

__all__ = ["get_entry", "list_tree", "materialize", "read_blobs", "resolve_commit"]

_TREE_MODE = 0o40000
_TYPES: dict[int, EntryType] = {
    commit_pb2.TreeEntry.BLOB: "blob",
    commit_pb2.TreeEntry.TREE: "tree",
}


def resolve_commit(s: Session, repo: RepoRef, revision: str) -> shared_pb2.GitCommit:
    """The commit of ``revision``; missing → ``NotFound("revision", revision)``."""
    commit = s.find_commit(repo, revision)
    if commit is None:
        raise NotFound("revision", revision)
    return commit


def _norm(path: str) -> str:
    return path.strip("/")


def _tree_entries(s: Session, repo: RepoRef, sha: str, path: str, recursive: bool) -> list[Any]:
    request = commit_pb2.GetTreeEntriesRequest(
        repository=s.repo(repo),
        revision=convert.encode(sha),
        path=convert.encode(path or "."),
        recursive=recursive,
    )
    return [
        e for reply in s.stream("read", s.commits.GetTreeEntries, request) for e in reply.entries
    ]


def _entry(raw: Any) -> TreeEntry | None:
    kind = _TYPES.get(raw.type)
    if kind is None:  # submodules are not part of a configuration tree
        return None
    path = convert.decode(raw.path)
    return TreeEntry(path=path, name=path.rsplit("/", 1)[-1], type=kind, mode=raw.mode, oid=raw.oid)


def _blob_headers(
    s: Session, repo: RepoRef, sha: str, paths: Sequence[str], limit: int
) -> list[Any]:
    """GetBlobs replies regrouped per requested object: ``(header, data)`` pairs."""
    request = blob_pb2.GetBlobsRequest(
        repository=s.repo(repo),
        revision_paths=[
            blob_pb2.GetBlobsRequest.RevisionPath(revision=sha, path=convert.encode(p))
            for p in paths
        ],
        limit=limit,
    )
    objects: list[Any] = []
    for reply in s.stream("read", s.blobs.GetBlobs, request):
        if reply.oid or reply.path or reply.revision:
            objects.append([reply, [reply.data]])
        elif objects:
            objects[-1][1].append(reply.data)
    return objects


def _with_sizes(s: Session, repo: RepoRef, sha: str, entries: list[TreeEntry]) -> list[TreeEntry]:
    blobs = [e.path for e in entries if e.type == "blob"]
    if not blobs:
        return entries
    sizes = {
        convert.decode(h.path): int(h.size)
        for h, _ in _blob_headers(s, repo, sha, blobs, 0)
        if h.oid
    }
    return [
        TreeEntry(
            path=e.path, name=e.name, type=e.type, mode=e.mode, oid=e.oid, size=sizes.get(e.path)
        )
        if e.type == "blob"
        else e
        for e in entries
    ]


def get_entry(s: Session, repo: RepoRef, revision: str, path: str) -> TreeEntry | None:
    commit = resolve_commit(s, repo, revision)
    path = _norm(path)
    if not path:
        return TreeEntry(path="", name="", type="tree", mode=_TREE_MODE, oid=commit.tree_id)
    parent = path.rsplit("/", 1)[0] if "/" in path else ""
    try:
        raw = _tree_entries(s, repo, commit.id, parent, False)
    except RpcFailed as exc:
        # The commit exists, so the repository does: the parent path does not.
        if exc.status.code in {"NOT_FOUND", "INVALID_ARGUMENT"}:
            return None
        raise
    for item in raw:
        entry = _entry(item)
        if entry is not None and entry.path == path:
            return _with_sizes(s, repo, commit.id, [entry])[0]
    return None


def list_tree(
    s: Session,
    repo: RepoRef,
    revision: str,
    path: str,
    *,
    recursive: bool,
    offset: int,
    limit: int | None,
) -> TreePage:
    commit = resolve_commit(s, repo, revision)
    path = _norm(path)
    if path:
        top = get_entry(s, repo, commit.id, path)
        if top is None:
            raise NotFound("path", path)
        if top.type != "tree":
            raise Validation(f"{path} is a file, not a directory")
    entries = [e for e in map(_entry, _tree_entries(s, repo, commit.id, path, recursive)) if e]
    entries.sort(key=lambda e: tree_sort_key(e.path, e.type))
    end = None if limit is None else offset + limit
    page = _with_sizes(s, repo, commit.id, entries[offset:end])
    return TreePage(entries=page, total=len(entries))


def read_blobs(s: Session, repo: RepoRef, revision: str, paths: Sequence[str]) -> list[Blob]:
    commit = resolve_commit(s, repo, revision)
    wanted = [_norm(p) for p in paths]
    if not wanted:
        return []
    blobs: list[Blob] = []
    for header, chunks in _blob_headers(s, repo, commit.id, wanted, -1):
        if not header.oid or header.type != shared_pb2.BLOB:
            continue
        data = b"".join(chunks)
        path = convert.decode(header.path)
        blobs.append(Blob(path=path, oid=header.oid, size=int(header.size), data=data))
    return blobs


def materialize(s: Session, repo: RepoRef, sha: str, dest: Path) -> None:
    commit = resolve_commit(s, repo, sha)
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise Validation(f"{dest} is not empty")
    entries = [e for e in map(_entry, _tree_entries(s, repo, commit.id, "", True)) if e]
    modes = {e.path: e.mode for e in entries if e.type == "blob"}
    for entry in entries:
        if entry.type == "tree":
            (dest / entry.path).mkdir(parents=True, exist_ok=True)
    for blob in read_blobs(s, repo, commit.id, sorted(modes)):
        target = dest / blob.path
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = modes[blob.path]
        if mode == 0o120000:
            os.symlink(blob.data.decode("utf-8", "surrogateescape"), target)
            continue
        target.write_bytes(blob.data)
        target.chmod(0o755 if mode == 0o100755 else 0o644)
