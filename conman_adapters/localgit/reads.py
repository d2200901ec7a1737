"""Read side of ``LocalGit``: trees, blobs, history and materialization."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from conman_adapters.localgit.base import TREE_MODE, LocalGitBase
from conman_adapters.localgit.proc import run_git
from conman_domain.errors import NotFound, Validation
from conman_domain.gitmodel import (
    Blob,
    CommitInfo,
    RepoRef,
    TreeEntry,
    TreePage,
    check_file_path,
)

__all__ = ["ReadOps"]


def _walk_order(entries: list[TreeEntry], root: str) -> list[TreeEntry]:
    """The ``tree_sort_key`` order in O(n): group by parent, sort each directory's
    children (directories first, then by name bytes), emit a pre-order walk."""
    children: dict[str, list[TreeEntry]] = {}
    for entry in entries:
        parent = entry.path.rpartition("/")[0]
        children.setdefault(parent, []).append(entry)
    for group in children.values():
        group.sort(key=lambda e: (e.type != "tree", e.name.encode()))
    out: list[TreeEntry] = []
    stack = list(reversed(children.get(root, [])))
    while stack:
        entry = stack.pop()
        out.append(entry)
        if entry.type == "tree":
            stack.extend(reversed(children.get(entry.path, [])))
    return out


class ReadOps(LocalGitBase):
    """``ls-tree`` for listings, ``cat-file --batch-command`` for everything else."""

    def get_entry(self, repo: RepoRef, revision: str, path: str) -> TreeEntry | None:
        git_dir = self._dir(repo)
        return self._entry(git_dir, self._tree(git_dir, revision), path.strip("/"))

    def _ls_tree(self, git_dir: Path, tree: str, prefix: str, recursive: bool) -> list[TreeEntry]:
        args = ["ls-tree", "-l", "-z"] + (["-r", "-t"] if recursive else [])
        out = run_git(git_dir, [*args, tree]).stdout
        entries: list[TreeEntry] = []
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            mode, kind, oid, size = meta.split()
            rel = raw_path.decode()
            is_tree = int(mode, 8) == TREE_MODE
            entries.append(
                TreeEntry(
                    path=f"{prefix}/{rel}" if prefix else rel,
                    name=rel.rsplit("/", 1)[-1],
                    type="tree" if is_tree else "blob",
                    mode=int(mode, 8),
                    oid=oid.decode(),
                    size=None if is_tree or kind != b"blob" else int(size),
                )
            )
        return entries

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
        git_dir = self._dir(repo)
        path = path.strip("/")
        top = self._entry(git_dir, self._tree(git_dir, revision), path)
        if top is None:
            raise NotFound("path", path)
        if top.type != "tree":
            raise Validation(f"not a directory: {path}")
        entries = _walk_order(self._ls_tree(git_dir, top.oid, path, recursive), path)
        end = None if limit is None else offset + limit
        return TreePage(entries=entries[offset:end], total=len(entries))

    def read_blobs(self, repo: RepoRef, revision: str, paths: Sequence[str]) -> list[Blob]:
        git_dir = self._dir(repo)
        sha = self._tree(git_dir, revision)
        reader = self._reader(git_dir)
        blobs: list[Blob] = []
        for path in paths:
            try:
                check_file_path(path)
            except Validation:
                continue
            got = reader.contents(f"{sha}:{path}")
            if got is not None and got[0][1] == "blob":
                blobs.append(Blob(path=path, oid=got[0][0], size=got[0][2], data=got[1]))
        return blobs

    def materialize(self, repo: RepoRef, sha: str, dest: Path) -> None:
        git_dir = self._dir(repo)
        tree = self._tree(git_dir, sha)
        dest.mkdir(parents=True, exist_ok=True)
        if any(dest.iterdir()):
            raise Validation(f"materialize target is not empty: {dest}")
        reader = self._reader(git_dir)
        for entry in self._ls_tree(git_dir, tree, "", recursive=True):
            if entry.type != "blob" or entry.mode not in (0o100644, 0o100755):
                continue  # directories come from their files; links/submodules skipped
            got = reader.contents(entry.oid)
            if got is None:
                raise NotFound("blob", entry.oid)
            target = dest / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(got[1])
            if entry.mode == 0o100755:
                os.chmod(target, 0o755)

    # -- history --------------------------------------------------------------------

    def find_commit(self, repo: RepoRef, revision: str) -> CommitInfo | None:
        git_dir = self._dir(repo)
        sha = self._resolve(git_dir, revision)
        return self._read_commit(git_dir, sha) if sha else None

    def list_commits(
        self,
        repo: RepoRef,
        revision: str,
        *,
        exclude: str | None = None,
        first_parent: bool = False,
        limit: int | None = None,
    ) -> list[CommitInfo]:
        git_dir = self._dir(repo)
        args = ["rev-list", "--topo-order"]
        if first_parent:
            args.append("--first-parent")
        if limit is not None:
            args.append(f"--max-count={limit}")
        args.append(self._commit(git_dir, revision))
        if exclude is not None:
            args.append(f"^{self._commit(git_dir, exclude)}")
        out = run_git(git_dir, [*args, "--"]).stdout.decode().split()
        return [self._read_commit(git_dir, sha) for sha in out]

    def is_ancestor(self, repo: RepoRef, ancestor: str, descendant: str) -> bool:
        git_dir = self._dir(repo)
        a, d = self._commit(git_dir, ancestor), self._commit(git_dir, descendant)
        done = run_git(git_dir, ["merge-base", "--is-ancestor", a, d], ok=(0, 1))
        return done.returncode == 0

    def merge_base(self, repo: RepoRef, a: str, b: str) -> str | None:
        git_dir = self._dir(repo)
        left, right = self._commit(git_dir, a), self._commit(git_dir, b)
        done = run_git(git_dir, ["merge-base", left, right], ok=(0, 1))
        return done.stdout.decode().strip() or None
