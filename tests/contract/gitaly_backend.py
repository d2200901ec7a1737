"""The Gitaly backend of the ``GitPort`` contract suite: ``GitalyGit`` + the test server.

Picked up by ``git_backends.py`` through ``BACKEND``. Each factory call starts the
in-process Gitaly-protocol server over bare repositories in the test's temporary
directory and yields a ``GitalyGit`` connected to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conman_adapters.gitaly import GitalyGit
from conman_adapters.gitaly.transport import close_channel
from conman_domain.ports.git import GitPort
from tests.gitaly_server import GitalyTestServer

__all__ = ["BACKEND", "gitaly_git"]


@contextmanager
def gitaly_git(tmp: Path) -> Iterator[GitPort]:
    server = GitalyTestServer(tmp / "gitaly")
    try:
        yield GitalyGit(server.address, storage="default")
    finally:
        close_channel(server.address)
        server.stop()


BACKEND = ("gitaly", gitaly_git)
