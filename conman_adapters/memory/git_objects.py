"""Git objects in memory for ``InMemoryGit``: ids are computed exactly like git's SHA-1.

Trees are stored in git's binary format; ``flatten`` turns a tree into a
``{path: (mode, blob_oid)}`` map (cached, trees are immutable) and ``build_tree`` does
the inverse, writing every subtree.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from conman_domain.errors import NotFound
from conman_domain.gitmodel import EMPTY_TREE_OID, CommitInfo, Signature

__all__ = ["FileMap", "ObjectStore"]

FileMap = dict[str, tuple[int, str]]
TREE_MODE = 0o40000


class ObjectStore:
    """Content-addressed objects of one repository. Not thread-safe by itself."""

    def __init__(self) -> None:
        self._objects: dict[str, tuple[str, bytes]] = {}
        self._flat: dict[str, FileMap] = {}
        self._commits: dict[str, CommitInfo] = {}
        self.write("tree", b"")

    def write(self, kind: str, data: bytes) -> str:
        """Store an object and return its id (``sha1("<kind> <len>\\0<data>")``)."""
        oid = hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()
        self._objects.setdefault(oid, (kind, data))
        return oid

    def kind(self, oid: str) -> str | None:
        """The object's type, or ``None`` when it is not stored."""
        obj = self._objects.get(oid)
        return obj[0] if obj else None

    def data(self, oid: str) -> bytes:
        """The raw content of a stored object."""
        return self._objects[oid][1]

    # -- trees -----------------------------------------------------------------------

    def tree_entries(self, oid: str) -> list[tuple[int, str, str]]:
        """``(mode, name, oid)`` of one tree object, in git order."""
        data = self.data(oid)
        out: list[tuple[int, str, str]] = []
        pos = 0
        while pos < len(data):
            space = data.index(b" ", pos)
            nul = data.index(b"\0", space)
            mode = int(data[pos:space], 8)
            name = data[space + 1 : nul].decode()
            out.append((mode, name, data[nul + 1 : nul + 21].hex()))
            pos = nul + 21
        return out

    def flatten(self, tree: str) -> FileMap:
        """Every file under ``tree`` as ``{path: (mode, blob_oid)}``."""
        cached = self._flat.get(tree)
        if cached is not None:
            return cached
        out: FileMap = {}
        for mode, name, oid in self.tree_entries(tree):
            if mode == TREE_MODE:
                for sub, value in self.flatten(oid).items():
                    out[f"{name}/{sub}"] = value
            else:
                out[name] = (mode, oid)
        self._flat[tree] = out
        return out

    def build_tree(self, files: FileMap) -> str:
        """Write the trees for ``files`` and return the root tree id."""
        if not files:
            return EMPTY_TREE_OID
        direct: dict[str, tuple[int, str]] = {}
        nested: dict[str, FileMap] = {}
        for path, value in files.items():
            head, sep, rest = path.partition("/")
            if sep:
                nested.setdefault(head, {})[rest] = value
            else:
                direct[head] = value
        for name, sub in nested.items():
            direct[name] = (TREE_MODE, self.build_tree(sub))

        def order(name: str) -> bytes:
            suffix = b"/" if direct[name][0] == TREE_MODE else b""
            return name.encode() + suffix

        body = b"".join(
            f"{direct[n][0]:o} {n}\0".encode() + bytes.fromhex(direct[n][1])
            for n in sorted(direct, key=order)
        )
        oid = self.write("tree", body)
        self._flat.setdefault(oid, dict(files))
        return oid

    # -- commits ---------------------------------------------------------------------

    def write_commit(
        self, tree: str, parents: list[str], message: str, author: Signature, committer: Signature
    ) -> str:
        """Write a commit object the way ``git commit-tree`` does (UTC, second precision)."""
        lines = [f"tree {tree}"] + [f"parent {p}" for p in parents]
        lines.append(f"author {_ident(author)}")
        lines.append(f"committer {_ident(committer)}")
        text = "\n".join(lines) + "\n\n" + message.rstrip("\n") + "\n"
        return self.write("commit", text.encode())

    def commit(self, oid: str) -> CommitInfo:
        """The parsed commit ``oid``; not a commit → ``NotFound``."""
        cached = self._commits.get(oid)
        if cached is not None:
            return cached
        if self.kind(oid) != "commit":
            raise NotFound("commit", oid)
        info = parse_commit(oid, self.data(oid))
        self._commits[oid] = info
        return info


def _ident(sig: Signature) -> str:
    return f"{sig.name} <{sig.email}> {int(sig.when.timestamp())} +0000"


def _parse_ident(value: str) -> Signature:
    name, _, rest = value.partition(" <")
    email, _, stamp = rest.partition("> ")
    seconds = int(stamp.split(" ")[0])
    return Signature(name=name, email=email, when=datetime.fromtimestamp(seconds, UTC))


def parse_commit(oid: str, data: bytes) -> CommitInfo:
    """Parse a raw commit object (also used for objects read from real git)."""
    text = data.decode("utf-8", errors="replace")
    header, _, message = text.partition("\n\n")
    tree = ""
    parents: list[str] = []
    author = committer = None
    for line in header.split("\n"):
        key, _, value = line.partition(" ")
        if key == "tree":
            tree = value
        elif key == "parent":
            parents.append(value)
        elif key == "author":
            author = _parse_ident(value)
        elif key == "committer":
            committer = _parse_ident(value)
    if author is None or committer is None:
        raise NotFound("commit", oid)
    return CommitInfo(
        sha=oid,
        tree=tree,
        parents=parents,
        author=author,
        committer=committer,
        message=message[:-1] if message.endswith("\n") else message,
    )
