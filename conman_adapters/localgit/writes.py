"""Write side of ``LocalGit``: refs, tags and commits built from file actions.

Commits are built without a worktree: blobs via ``hash-object -w``, the tree via a
temporary index (``GIT_INDEX_FILE``: ``read-tree`` + ``update-index --index-info`` +
``write-tree``), the commit via ``commit-tree``, and the ref moved by ``update-ref``
with the expected old value, which is what arbitrates concurrent writers.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from conman_adapters.localgit.base import LocalGitBase
from conman_adapters.localgit.proc import run_git
from conman_domain.errors import Conflict, NotFound, Validation
from conman_domain.gitactions import PathChange, PathInfo, plan_actions
from conman_domain.gitmodel import (
    EMPTY_TREE_OID,
    ZERO_OID,
    FileAction,
    Ref,
    RepoRef,
    Signature,
    check_ref_name,
)

__all__ = ["WriteOps"]


class WriteOps(LocalGitBase):
    """Refs, tags, ``commit_files`` and ``squash``."""

    def resolve(self, repo: RepoRef, revision: str) -> str | None:
        return self._resolve(self._dir(repo), revision)

    def _checked_commit(self, git_dir: Path, sha: str) -> str:
        found = self._reader(git_dir).info(f"{sha}^{{commit}}") if len(sha) == 40 else None
        if found is None:
            raise NotFound("commit", sha)
        return found[0]

    def create_branch(self, repo: RepoRef, branch: str, start_sha: str) -> None:
        git_dir = self._dir(repo)
        ref = f"refs/heads/{branch}"
        check_ref_name(ref)
        new = self._checked_commit(git_dir, start_sha)
        try:
            self._update_ref(git_dir, ref, new, ZERO_OID)
        except Conflict as exc:
            raise Conflict(f"branch {branch} already exists") from exc

    def update_ref(
        self, repo: RepoRef, ref: str, *, new_sha: str, expected_old: str | None
    ) -> None:
        git_dir = self._dir(repo)
        check_ref_name(ref)
        self._update_ref(git_dir, ref, self._checked_commit(git_dir, new_sha), expected_old)

    def delete_ref(self, repo: RepoRef, ref: str, *, expected_old: str | None) -> None:
        self._delete_ref(self._dir(repo), ref, expected_old)

    def _list(self, repo: RepoRef, prefix: str) -> list[Ref]:
        git_dir = self._dir(repo)
        fmt = "%(refname)%00%(objectname)%00%(*objectname)"
        out = run_git(git_dir, ["for-each-ref", f"--format={fmt}", prefix]).stdout.decode()
        refs = []
        for line in out.splitlines():
            name, sha, peeled = line.split("\0")
            refs.append(Ref(name=name[len(prefix) :], sha=peeled or sha))
        return sorted(refs, key=lambda r: r.name.encode())

    def list_branches(self, repo: RepoRef) -> list[Ref]:
        return self._list(repo, "refs/heads/")

    def list_tags(self, repo: RepoRef) -> list[Ref]:
        return self._list(repo, "refs/tags/")

    def create_tag(self, repo: RepoRef, tag: str, sha: str) -> None:
        git_dir = self._dir(repo)
        ref = f"refs/tags/{tag}"
        check_ref_name(ref)
        new = self._checked_commit(git_dir, sha)
        try:
            self._update_ref(git_dir, ref, new, ZERO_OID)
        except Conflict as exc:
            raise Conflict(f"tag {tag} already exists") from exc

    def find_tag(self, repo: RepoRef, tag: str) -> str | None:
        git_dir = self._dir(repo)
        try:
            check_ref_name(f"refs/tags/{tag}")
        except Validation:
            return None
        return self._resolve(git_dir, f"refs/tags/{tag}")

    # -- commits --------------------------------------------------------------------

    def _hash_blobs(self, git_dir: Path, contents: list[bytes], tmp: Path) -> list[str]:
        if len(contents) == 1:
            out = run_git(
                git_dir, ["hash-object", "-w", "--no-filters", "--stdin"], stdin=contents[0]
            )
            return [out.stdout.decode().strip()]
        paths = []
        for k, data in enumerate(contents):
            path = tmp / f"blob-{k}"
            path.write_bytes(data)
            paths.append(str(path))
        out = run_git(
            git_dir,
            ["hash-object", "-w", "--no-filters", "--stdin-paths"],
            stdin="\n".join(paths).encode() + b"\n",
        )
        return out.stdout.decode().split()

    def _write_tree(
        self, git_dir: Path, base_tree: str, changes: dict[str, PathChange | None]
    ) -> str:
        with tempfile.TemporaryDirectory(prefix="conman-git-") as tmp_name:
            tmp = Path(tmp_name)
            env = {"GIT_INDEX_FILE": str(tmp / "index")}
            writes = [(p, c) for p, c in changes.items() if c is not None and c.oid is None]
            oids = (
                self._hash_blobs(git_dir, [c.content or b"" for _, c in writes], tmp)
                if writes
                else []
            )
            new_oid = {p: oid for (p, _), oid in zip(writes, oids, strict=True)}
            lines = []
            for path, change in changes.items():
                if change is None:
                    lines.append(f"0 {ZERO_OID}\t{path}")
                else:
                    lines.append(f"{change.mode:o} {change.oid or new_oid[path]}\t{path}")
            run_git(git_dir, ["read-tree", base_tree], env=env)
            run_git(
                git_dir,
                ["update-index", "-z", "--index-info"],
                stdin="\0".join(lines).encode() + b"\0",
                env=env,
            )
            return run_git(git_dir, ["write-tree"], env=env).stdout.decode().strip()

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
        git_dir = self._dir(repo)
        check_ref_name(ref)
        parents = [self._commit(git_dir, parent)] if parent else []
        root = self._tree(git_dir, parents[0]) if parents else EMPTY_TREE_OID

        def lookup(path: str) -> PathInfo | None:
            entry = self._entry(git_dir, root, path)
            return PathInfo(entry.type, entry.mode, entry.oid) if entry else None

        changes = plan_actions(actions, lookup)
        tree = self._write_tree(git_dir, root, changes)
        sha = self._commit_tree(git_dir, tree, parents, message, author=author)
        self._update_ref(git_dir, ref, sha, expected_old)
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
        git_dir = self._dir(repo)
        check_ref_name(branch_ref)
        tree = self._tree(git_dir, source_sha)
        head = self._resolve(git_dir, branch_ref) or ZERO_OID
        if head != expected_old:
            raise Conflict(f"ref {branch_ref} is not at the expected value")
        sha = self._commit_tree(
            git_dir, tree, [self._commit(git_dir, expected_old)], message, author=author
        )
        self._update_ref(git_dir, branch_ref, sha, expected_old)
        return sha
