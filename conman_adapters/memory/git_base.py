"""State and helpers shared by the parts of ``InMemoryGit``."""

from __future__ import annotations

import re
import threading

from conman_adapters.memory.git_objects import TREE_MODE, FileMap, ObjectStore
from conman_domain.errors import Conflict, NotFound
from conman_domain.gitmodel import (
    EMPTY_TREE_OID,
    ZERO_OID,
    RepoRef,
    Signature,
    TreeEntry,
    check_ref_name,
)

__all__ = ["MemoryGitBase"]

_HEX40 = re.compile(r"[0-9a-f]{40}")


class _Repo:
    def __init__(self, default_branch: str) -> None:
        self.store = ObjectStore()
        self.refs: dict[str, str] = {}
        self.head = default_branch


class MemoryGitBase:
    """Every repository lives in a dict; one lock serializes all calls."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._repos: dict[str, _Repo] = {}

    def _repo(self, repo: RepoRef) -> _Repo:
        found = self._repos.get(repo.relative_path)
        if found is None:
            raise NotFound("repository", repo.relative_path)
        return found

    @staticmethod
    def _resolve_in(r: _Repo, revision: str) -> str | None:
        if revision in r.refs:
            return r.refs[revision]
        if _HEX40.fullmatch(revision) and r.store.kind(revision) == "commit":
            return revision
        return None

    def _commit(self, r: _Repo, revision: str) -> str:
        sha = self._resolve_in(r, revision)
        if sha is None:
            raise NotFound("revision", revision)
        return sha

    def _tree(self, r: _Repo, treeish: str) -> str:
        if r.store.kind(treeish) == "tree":
            return treeish
        return r.store.commit(self._commit(r, treeish)).tree

    def _files(self, r: _Repo, treeish: str | None) -> FileMap:
        return r.store.flatten(self._tree(r, treeish) if treeish else EMPTY_TREE_OID)

    @staticmethod
    def _cas(r: _Repo, ref: str, expected_old: str | None) -> None:
        current = r.refs.get(ref, ZERO_OID)
        if expected_old is not None and current != expected_old:
            raise Conflict(f"ref {ref} is at {current[:12]}, expected {expected_old[:12]}")

    def _set_ref(self, r: _Repo, ref: str, sha: str, expected_old: str | None) -> None:
        check_ref_name(ref)
        if r.store.kind(sha) != "commit":
            raise NotFound("commit", sha)
        self._cas(r, ref, expected_old)
        r.refs[ref] = sha

    def _commit_tree(
        self, r: _Repo, tree: str, parents: list[str], msg: str, sig: Signature
    ) -> str:
        return r.store.write_commit(tree, parents, msg, sig, sig)

    def _entry(self, r: _Repo, root: str, path: str) -> TreeEntry | None:
        entry = TreeEntry(path="", name="", type="tree", mode=TREE_MODE, oid=root)
        for segment in path.split("/") if path else []:
            if entry.type != "tree":
                return None
            match = [e for e in r.store.tree_entries(entry.oid) if e[1] == segment]
            if not match:
                return None
            mode, name, oid = match[0]
            full = f"{entry.path}/{name}" if entry.path else name
            is_tree = mode == TREE_MODE
            entry = TreeEntry(
                path=full,
                name=name,
                type="tree" if is_tree else "blob",
                mode=mode,
                oid=oid,
                size=None if is_tree else len(r.store.data(oid)),
            )
        return entry
