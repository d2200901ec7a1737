"""The ``GitPort`` adapters the contract suite and the model test run against.

``BACKENDS`` is a list of ``(name, factory)``: a factory takes a fresh temporary
directory and is a context manager yielding a ``GitPort`` over it (and cleaning up
after). A backend module beside this file named ``gitaly_backend.py`` that defines
``BACKEND = ("gitaly", factory)`` is picked up automatically.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from conman_adapters.localgit import LocalGit
from conman_adapters.memory import InMemoryGit
from conman_domain.gitmodel import ZERO_OID, FileAction, RepoRef, Signature
from conman_domain.ports.git import GitPort

__all__ = ["AUTHOR", "BACKENDS", "REPO", "GitFactory", "actions_for", "files_at", "seed", "write"]

GitFactory = Callable[[Path], AbstractContextManager[GitPort]]

REPO = RepoRef(relative_path="apps/demo", gl_repository="app-demo")
AUTHOR = Signature(
    name="Alice Example",
    email="alice@example.com",
    when=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    user_id="u1",
)


@contextmanager
def memory_git(_tmp: Path) -> Iterator[GitPort]:
    yield InMemoryGit()


@contextmanager
def local_git(tmp: Path) -> Iterator[GitPort]:
    git = LocalGit(tmp / "repos")
    try:
        yield git
    finally:
        git.close()


BACKENDS: list[tuple[str, GitFactory]] = [("memory", memory_git), ("localgit", local_git)]

if (Path(__file__).parent / "gitaly_backend.py").is_file():
    BACKENDS.append(importlib.import_module("gitaly_backend").BACKEND)


def actions_for(
    git: GitPort, parent: str | None, changes: dict[str, bytes | None]
) -> list[FileAction]:
    """File actions turning ``parent``'s files into ``changes`` (``None`` = delete)."""
    existing = {b.path for b in git.read_blobs(REPO, parent, list(changes))} if parent else set()
    out = []
    for path, content in changes.items():
        if content is None:
            out.append(FileAction(action="delete", path=path))
        elif path in existing:
            out.append(FileAction(action="update", path=path, content=content))
        else:
            out.append(FileAction(action="create", path=path, content=content))
    return out


def write(
    git: GitPort,
    ref: str,
    changes: dict[str, bytes | None],
    *,
    parent: str | bool | None = True,
    message: str = "change",
) -> str:
    """Commit ``changes`` on ``ref`` (parent = the ref's head unless given), with CAS."""
    head = git.resolve(REPO, ref)
    base = head if parent is True else (None if parent is False else parent)
    assert not isinstance(base, bool)
    return git.commit_files(
        REPO,
        ref=ref,
        parent=base,
        expected_old=head or ZERO_OID,
        actions=actions_for(git, base, changes),
        message=message,
        author=AUTHOR,
    )


def files_at(git: GitPort, revision: str) -> dict[str, bytes]:
    """Every file of ``revision`` with its content."""
    entries = git.list_tree(REPO, revision, recursive=True).entries
    paths = [e.path for e in entries if e.type == "blob"]
    return {b.path: b.data for b in git.read_blobs(REPO, revision, paths)}


def seed(git: GitPort, files: dict[str, bytes | None] | None = None) -> str:
    """Create ``REPO`` with branch ``main`` holding one root commit; returns its sha."""
    git.create_repository(REPO, default_branch="main")
    initial: dict[str, bytes | None] = {
        "README.md": b"hello\n",
        "config/app.yaml": b"a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\n",
    }
    return write(git, "refs/heads/main", files or initial, parent=False, message="initial")
