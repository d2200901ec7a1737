"""Shared plumbing of ``LocalGit``: repository paths, object reads, ref compare-and-swap."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from pathlib import Path

from conman_adapters.localgit.catfile import CatFile
from conman_adapters.localgit.proc import GitError, identity_env, run_git
from conman_domain.errors import Conflict, NotFound, Validation
from conman_domain.gitmodel import (
    ZERO_OID,
    CommitInfo,
    RepoRef,
    Signature,
    TreeEntry,
    check_ref_name,
    check_repo_path,
)

__all__ = ["LocalGitBase", "parse_tree"]

_HEX40 = re.compile(r"[0-9a-f]{40}")
TREE_MODE = 0o40000
_TREE_CACHE = 4096


def parse_tree(data: bytes) -> list[tuple[int, str, str]]:
    """``(mode, name, oid)`` of a raw tree object, in git order."""
    out: list[tuple[int, str, str]] = []
    pos = 0
    while pos < len(data):
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        out.append(
            (
                int(data[pos:space], 8),
                data[space + 1 : nul].decode(),
                data[nul + 1 : nul + 21].hex(),
            )
        )
        pos = nul + 21
    return out


def _parse_ident(value: str) -> Signature:
    name, _, rest = value.partition(" <")
    email, _, stamp = rest.rpartition("> ")
    seconds = int(stamp.split(" ")[0])
    return Signature(name=name, email=email, when=datetime.fromtimestamp(seconds, UTC))


def parse_commit(oid: str, data: bytes) -> CommitInfo:
    """Parse a raw commit object; the message loses the one trailing newline git adds."""
    header, _, message = data.decode("utf-8", errors="replace").partition("\n\n")
    fields: dict[str, list[str]] = {}
    for line in header.split("\n"):
        key, _, value = line.partition(" ")
        fields.setdefault(key, []).append(value)
    return CommitInfo(
        sha=oid,
        tree=fields["tree"][0],
        parents=fields.get("parent", []),
        author=_parse_ident(fields["author"][0]),
        committer=_parse_ident(fields["committer"][0]),
        message=message[:-1] if message.endswith("\n") else message,
    )


class LocalGitBase:
    """Maps ``RepoRef`` to ``<repos_dir>/<relative_path>.git`` and owns the readers."""

    def __init__(self, repos_dir: Path | str) -> None:
        self._root = Path(repos_dir)
        self._readers: dict[Path, CatFile] = {}
        self._readers_lock = threading.Lock()
        self._trees: dict[str, list[tuple[int, str, str]]] = {}

    def _path(self, repo: RepoRef) -> Path:
        check_repo_path(repo.relative_path)
        return self._root / f"{repo.relative_path}.git"

    def _dir(self, repo: RepoRef) -> Path:
        """The repository's directory; missing → ``NotFound``."""
        path = self._path(repo)
        if not (path / "HEAD").is_file():
            raise NotFound("repository", repo.relative_path)
        return path

    def _reader(self, git_dir: Path) -> CatFile:
        with self._readers_lock:
            reader = self._readers.get(git_dir)
            if reader is None:
                reader = self._readers[git_dir] = CatFile(git_dir)
            return reader

    def _drop_reader(self, git_dir: Path) -> None:
        with self._readers_lock:
            reader = self._readers.pop(git_dir, None)
        if reader is not None:
            reader.close()

    def close(self) -> None:
        """Stop every ``cat-file`` process."""
        with self._readers_lock:
            readers, self._readers = list(self._readers.values()), {}
        for reader in readers:
            reader.close()

    # -- reads ----------------------------------------------------------------------

    @staticmethod
    def _valid_revision(revision: str) -> bool:
        if _HEX40.fullmatch(revision):
            return True
        try:
            check_ref_name(revision)
        except Validation:
            return False
        return True

    def _resolve(self, git_dir: Path, revision: str) -> str | None:
        if not self._valid_revision(revision):
            return None
        found = self._reader(git_dir).info(f"{revision}^{{commit}}")
        return found[0] if found else None

    def _commit(self, git_dir: Path, revision: str) -> str:
        sha = self._resolve(git_dir, revision)
        if sha is None:
            raise NotFound("revision", revision)
        return sha

    def _tree(self, git_dir: Path, treeish: str) -> str:
        """Tree id of a commit/ref, or the id itself when it names a tree."""
        if _HEX40.fullmatch(treeish):
            found = self._reader(git_dir).info(treeish)
            if found and found[1] == "tree":
                return treeish
        found = self._reader(git_dir).info(f"{self._commit(git_dir, treeish)}^{{tree}}")
        if found is None:
            raise NotFound("revision", treeish)
        return found[0]

    def _read_commit(self, git_dir: Path, sha: str) -> CommitInfo:
        got = self._reader(git_dir).contents(sha)
        if got is None or got[0][1] != "commit":
            raise NotFound("commit", sha)
        return parse_commit(got[0][0], got[1])

    def _tree_entries(self, git_dir: Path, tree: str) -> list[tuple[int, str, str]]:
        # trees are immutable, so parsed trees are cached (bounded, per adapter)
        cached = self._trees.get(tree)
        if cached is not None:
            return cached
        got = self._reader(git_dir).contents(tree)
        if got is None or got[0][1] != "tree":
            raise NotFound("tree", tree)
        entries = parse_tree(got[1])
        with self._readers_lock:
            if len(self._trees) >= _TREE_CACHE:
                self._trees.clear()
            self._trees[tree] = entries
        return entries

    def _entry(self, git_dir: Path, root: str, path: str) -> TreeEntry | None:
        entry = TreeEntry(path="", name="", type="tree", mode=TREE_MODE, oid=root)
        for segment in path.split("/") if path else []:
            if entry.type != "tree":
                return None
            match = [e for e in self._tree_entries(git_dir, entry.oid) if e[1] == segment]
            if not match:
                return None
            mode, name, oid = match[0]
            is_tree = mode == TREE_MODE
            size = None
            if not is_tree:
                info = self._reader(git_dir).info(oid)
                size = info[2] if info else 0
            entry = TreeEntry(
                path=f"{entry.path}/{name}" if entry.path else name,
                name=name,
                type="tree" if is_tree else "blob",
                mode=mode,
                oid=oid,
                size=size,
            )
        return entry

    # -- writes ---------------------------------------------------------------------

    def _commit_tree(
        self,
        git_dir: Path,
        tree: str,
        parents: list[str],
        message: str,
        *,
        author: Signature,
        committer: Signature | None = None,
    ) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        body = message.rstrip("\n") + "\n"
        done = run_git(
            git_dir, [*args, "-F", "-"], stdin=body.encode(), env=identity_env(author, committer)
        )
        return done.stdout.decode().strip()

    def _update_ref(self, git_dir: Path, ref: str, new: str, expected_old: str | None) -> None:
        """``update-ref`` with the old value: a refusal (moved ref, lock held) → ``Conflict``."""
        check_ref_name(ref)
        args = ["update-ref", "--no-deref", ref, new]
        if expected_old is not None:
            args.append(expected_old)
        self._cas_run(git_dir, ref, args)

    def _delete_ref(self, git_dir: Path, ref: str, expected_old: str | None) -> None:
        check_ref_name(ref)
        args = ["update-ref", "--no-deref", "-d", ref]
        if expected_old is not None:
            args.append(expected_old)
        self._cas_run(git_dir, ref, args)

    def _expect(self, git_dir: Path, ref: str, expected_old: str) -> None:
        """Early compare for multi-step writes; the final ``update-ref`` checks again."""
        current = self._resolve(git_dir, ref) or ZERO_OID
        if current != expected_old:
            raise Conflict(f"ref {ref} is not at the expected value")

    @staticmethod
    def _cas_run(git_dir: Path, ref: str, args: list[str]) -> None:
        try:
            run_git(git_dir, args)
        except GitError as exc:
            if "cannot lock ref" not in exc.stderr:
                raise
            raise Conflict(f"ref {ref} is not at the expected value") from exc
