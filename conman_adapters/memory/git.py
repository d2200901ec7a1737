"""``InMemoryGit``: a thread-safe in-process fake of ``GitPort`` with real git object ids."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from conman_adapters.memory import git_ops
from conman_adapters.memory.git_base import _Repo
from conman_adapters.memory.git_merges import MergeOps
from conman_adapters.memory.git_objects import TREE_MODE
from conman_domain.errors import Conflict, NotFound, Validation
from conman_domain.gitactions import PathInfo, plan_actions
from conman_domain.gitmodel import (
    EMPTY_TREE_OID,
    ZERO_OID,
    Blob,
    CommitInfo,
    DiffResult,
    FileAction,
    Ref,
    RepoRef,
    Signature,
    TreeEntry,
    TreePage,
    check_ref_name,
    check_repo_path,
    tree_sort_key,
)
from conman_domain.ports.git import GitPort

__all__ = ["InMemoryGit"]


class InMemoryGit(MergeOps, GitPort):
    """A thread-safe in-process ``GitPort``; objects are hashed exactly like git's."""

    # -- health and repositories -----------------------------------------------------

    def ping(self) -> None:
        with self._lock:
            return None

    def create_repository(self, repo: RepoRef, *, default_branch: str) -> None:
        check_repo_path(repo.relative_path)
        check_ref_name(f"refs/heads/{default_branch}")
        with self._lock:
            if repo.relative_path in self._repos:
                raise Conflict(f"repository {repo.relative_path} already exists")
            self._repos[repo.relative_path] = _Repo(default_branch)

    def repository_exists(self, repo: RepoRef) -> bool:
        with self._lock:
            return repo.relative_path in self._repos

    def remove_repository(self, repo: RepoRef) -> None:
        with self._lock:
            self._repo(repo)
            del self._repos[repo.relative_path]

    # -- refs ------------------------------------------------------------------------

    def resolve(self, repo: RepoRef, revision: str) -> str | None:
        with self._lock:
            return self._resolve_in(self._repo(repo), revision)

    def create_branch(self, repo: RepoRef, branch: str, start_sha: str) -> None:
        with self._lock:
            self._set_ref(self._repo(repo), f"refs/heads/{branch}", start_sha, ZERO_OID)

    def update_ref(
        self, repo: RepoRef, ref: str, *, new_sha: str, expected_old: str | None
    ) -> None:
        with self._lock:
            self._set_ref(self._repo(repo), ref, new_sha, expected_old)

    def delete_ref(self, repo: RepoRef, ref: str, *, expected_old: str | None) -> None:
        check_ref_name(ref)
        with self._lock:
            r = self._repo(repo)
            self._cas(r, ref, expected_old)
            r.refs.pop(ref, None)

    def _list(self, repo: RepoRef, prefix: str) -> list[Ref]:
        with self._lock:
            refs = self._repo(repo).refs
            found = [
                Ref(name=k[len(prefix) :], sha=v) for k, v in refs.items() if k.startswith(prefix)
            ]
        return sorted(found, key=lambda x: x.name.encode())

    def list_branches(self, repo: RepoRef) -> list[Ref]:
        return self._list(repo, "refs/heads/")

    def list_tags(self, repo: RepoRef) -> list[Ref]:
        return self._list(repo, "refs/tags/")

    def create_tag(self, repo: RepoRef, tag: str, sha: str) -> None:
        with self._lock:
            self._set_ref(self._repo(repo), f"refs/tags/{tag}", sha, ZERO_OID)

    def find_tag(self, repo: RepoRef, tag: str) -> str | None:
        with self._lock:
            return self._repo(repo).refs.get(f"refs/tags/{tag}")

    # -- trees and blobs -------------------------------------------------------------

    def get_entry(self, repo: RepoRef, revision: str, path: str) -> TreeEntry | None:
        with self._lock:
            r = self._repo(repo)
            return self._entry(r, self._tree(r, revision), path.strip("/"))

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
        path = path.strip("/")
        with self._lock:
            r = self._repo(repo)
            top = self._entry(r, self._tree(r, revision), path)
            if top is None:
                raise NotFound("path", path)
            if top.type != "tree":
                raise Validation(f"not a directory: {path}")
            entries: list[TreeEntry] = []
            pending = [top]
            while pending:
                parent = pending.pop()
                for mode, name, oid in r.store.tree_entries(parent.oid):
                    is_tree = mode == TREE_MODE
                    child = TreeEntry(
                        path=f"{parent.path}/{name}" if parent.path else name,
                        name=name,
                        type="tree" if is_tree else "blob",
                        mode=mode,
                        oid=oid,
                        size=None if is_tree else len(r.store.data(oid)),
                    )
                    entries.append(child)
                    if recursive and is_tree:
                        pending.append(child)
        entries.sort(key=lambda e: tree_sort_key(e.path, e.type))
        end = None if limit is None else offset + limit
        return TreePage(entries=entries[offset:end], total=len(entries))

    def read_blobs(self, repo: RepoRef, revision: str, paths: Sequence[str]) -> list[Blob]:
        with self._lock:
            r = self._repo(repo)
            files = self._files(r, revision)
            return [
                Blob(path=p, oid=files[p][1], size=len(data), data=data)
                for p in paths
                if p in files
                for data in [r.store.data(files[p][1])]
            ]

    def materialize(self, repo: RepoRef, sha: str, dest: Path) -> None:
        with self._lock:
            r = self._repo(repo)
            files = {p: (m, r.store.data(o)) for p, (m, o) in self._files(r, sha).items()}
        dest.mkdir(parents=True, exist_ok=True)
        if any(dest.iterdir()):
            raise Validation(f"materialize target is not empty: {dest}")
        for path, (mode, data) in files.items():
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            if mode == 0o100755:
                os.chmod(target, 0o755)

    # -- writing commits -------------------------------------------------------------

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
        check_ref_name(ref)
        with self._lock:
            r = self._repo(repo)
            parents = [self._commit(r, parent)] if parent else []
            root = self._tree(r, parent) if parent else EMPTY_TREE_OID

            def lookup(path: str) -> PathInfo | None:
                entry = self._entry(r, root, path)
                return PathInfo(entry.type, entry.mode, entry.oid) if entry else None

            files = dict(r.store.flatten(root))
            for path, change in plan_actions(actions, lookup).items():
                if change is None:
                    files.pop(path, None)
                else:
                    oid = change.oid or r.store.write("blob", change.content or b"")
                    files[path] = (change.mode, oid)
            self._cas(r, ref, expected_old)
            sha = self._commit_tree(r, r.store.build_tree(files), parents, message, author)
            r.refs[ref] = sha
            return sha

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
        with self._lock:
            r = self._repo(repo)
            tree = self._tree(r, source_sha)
            self._cas(r, branch_ref, expected_old)
            sha = self._commit_tree(r, tree, [self._commit(r, expected_old)], message, author)
            self._set_ref(r, branch_ref, sha, expected_old)
            return sha

    # -- history ---------------------------------------------------------------------

    def find_commit(self, repo: RepoRef, revision: str) -> CommitInfo | None:
        with self._lock:
            r = self._repo(repo)
            sha = self._resolve_in(r, revision)
            return r.store.commit(sha) if sha else None

    def list_commits(
        self,
        repo: RepoRef,
        revision: str,
        *,
        exclude: str | None = None,
        first_parent: bool = False,
        limit: int | None = None,
    ) -> list[CommitInfo]:
        with self._lock:
            r = self._repo(repo)
            head = self._commit(r, revision)
            excluded = git_ops.ancestors(r.store, self._commit(r, exclude)) if exclude else set()
            order = git_ops.topo_order(r.store, head, excluded, first_parent)
            return [r.store.commit(s) for s in order[:limit]]

    def is_ancestor(self, repo: RepoRef, ancestor: str, descendant: str) -> bool:
        with self._lock:
            r = self._repo(repo)
            a, d = self._commit(r, ancestor), self._commit(r, descendant)
            return a in git_ops.ancestors(r.store, d)

    def merge_base(self, repo: RepoRef, a: str, b: str) -> str | None:
        with self._lock:
            r = self._repo(repo)
            return git_ops.merge_base(r.store, self._commit(r, a), self._commit(r, b))

    def diff(self, repo: RepoRef, old: str | None, new: str) -> DiffResult:
        with self._lock:
            r = self._repo(repo)
            return git_ops.diff_maps(r.store, self._files(r, old), self._files(r, new))
