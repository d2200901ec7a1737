"""``InMemoryGit``: a thread-safe in-process fake of ``GitPort`` with real git object ids."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path

from conman_adapters.memory import git_ops
from conman_adapters.memory.git_objects import TREE_MODE, FileMap, ObjectStore
from conman_domain.errors import Conflict, NotFound, Validation
from conman_domain.gitactions import PathInfo, plan_actions
from conman_domain.gitmodel import (
    EMPTY_TREE_OID,
    ZERO_OID,
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
    check_ref_name,
    check_repo_path,
    tree_sort_key,
)
from conman_domain.ports.git import GitPort

__all__ = ["InMemoryGit"]

_HEX40 = re.compile(r"[0-9a-f]{40}")


class _Repo:
    def __init__(self, default_branch: str) -> None:
        self.store = ObjectStore()
        self.refs: dict[str, str] = {}
        self.head = default_branch


class InMemoryGit(GitPort):
    """Every repository lives in a dict; one lock serializes all calls."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._repos: dict[str, _Repo] = {}

    # -- helpers ---------------------------------------------------------------------

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
                for _mode, name, _oid in r.store.tree_entries(parent.oid):
                    child = self._entry(r, parent.oid, name)
                    assert child is not None
                    full = f"{parent.path}/{name}" if parent.path else name
                    child = TreeEntry(
                        path=full,
                        name=name,
                        type=child.type,
                        mode=child.mode,
                        oid=child.oid,
                        size=child.size,
                    )
                    entries.append(child)
                    if recursive and child.type == "tree":
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

    # -- merges ----------------------------------------------------------------------

    def _three_way(self, r: _Repo, base: str, ours: str, theirs: str) -> TreeMergeOutcome:
        files, conflicts = git_ops.merge_maps(
            r.store, self._files(r, base), self._files(r, ours), self._files(r, theirs)
        )
        if files is None:
            return TreeMergeOutcome(tree=None, conflicting_paths=conflicts)
        return TreeMergeOutcome(tree=r.store.build_tree(files))

    def three_way(
        self, repo: RepoRef, *, base_tree: str, ours: str, theirs: str
    ) -> TreeMergeOutcome:
        with self._lock:
            return self._three_way(self._repo(repo), base_tree, ours, theirs)

    def _merge(
        self, r: _Repo, source: str, first: str, message: str, author: Signature
    ) -> MergeOutcome:
        base = git_ops.merge_base(r.store, first, source)
        merged = self._three_way(r, base or EMPTY_TREE_OID, first, source)
        if merged.tree is None:
            return MergeOutcome(sha=None, conflicting_paths=merged.conflicting_paths)
        return MergeOutcome(sha=self._commit_tree(r, merged.tree, [first, source], message, author))

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
        check_ref_name(target_ref)
        with self._lock:
            r = self._repo(repo)
            first, source = self._commit(r, first_parent), self._commit(r, source_sha)
            self._cas(r, target_ref, expected_old)
            outcome = self._merge(r, source, first, message, author)
            if outcome.sha is not None:
                r.refs[target_ref] = outcome.sha
            return outcome

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
        check_ref_name(scratch_ref)
        check_ref_name(working_scratch_ref)
        with self._lock:
            r = self._repo(repo)
            r.refs.pop(scratch_ref, None)
            r.refs.pop(working_scratch_ref, None)
            branch, onto = self._commit(r, branch_sha), self._commit(r, onto_sha)
            merged = self._merge(r, onto, branch, message, author)
            if merged.sha is None:
                return SyncOutcome(branch_sha=None, conflicting_paths=merged.conflicting_paths)
            current = merged.sha
            if working_sha is not None:
                excluded = git_ops.ancestors(r.store, branch)
                replay = git_ops.topo_order(r.store, self._commit(r, working_sha), excluded, True)
                for sha in reversed(replay):
                    info = r.store.commit(sha)
                    base = info.parents[0] if info.parents else EMPTY_TREE_OID
                    step = self._three_way(r, base, current, info.tree)
                    if step.tree is None:
                        return SyncOutcome(
                            branch_sha=None, conflicting_paths=step.conflicting_paths
                        )
                    current = r.store.write_commit(
                        step.tree, [current], info.message, info.author, author
                    )
                r.refs[working_scratch_ref] = current
            r.refs[scratch_ref] = merged.sha
            return SyncOutcome(
                branch_sha=merged.sha, working_sha=current if working_sha is not None else None
            )

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
        scratch = f"refs/heads/{scratch_branch}"
        check_ref_name(scratch)
        with self._lock:
            r = self._repo(repo)
            self._cas(r, f"refs/heads/{integration_branch}", expected_head)
            r.refs.pop(scratch, None)
            head = self._commit(r, expected_head)
            merged = self._three_way(r, current_sha, head, target_sha)
            if merged.tree is None:
                return RevertOutcome(sha=None, conflicting_paths=merged.conflicting_paths)
            if merged.tree == r.store.commit(head).tree:
                return RevertOutcome(sha=None, empty=True)
            sha = self._commit_tree(r, merged.tree, [head], message, author)
            r.refs[scratch] = sha
            return RevertOutcome(sha=sha)
