"""``LocalGit`` reads on the request path reuse the long-lived ``cat-file`` process:
once warm, resolving a ref and reading a file or an entry start no ``git`` process.
Listings and history walks start exactly one (``ls-tree``, ``rev-list``...)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from git_backends import REPO, seed, write

from conman_adapters.localgit import LocalGit


class _Spawns:
    """Every process started through ``subprocess.Popen`` (``run_git`` uses it too)."""

    commands: list[str] = []


class _CountingPopen(subprocess.Popen[bytes]):
    def __init__(self, args: Any, *rest: Any, **kwargs: Any) -> None:
        _Spawns.commands.append(" ".join(str(a) for a in args[2:4]))
        super().__init__(args, *rest, **kwargs)


@pytest.fixture
def spawns(monkeypatch: pytest.MonkeyPatch) -> _Spawns:
    monkeypatch.setattr(_Spawns, "commands", [])
    monkeypatch.setattr(subprocess, "Popen", _CountingPopen)
    return _Spawns()


@pytest.fixture
def git(tmp_path: Path) -> Iterator[LocalGit]:
    port = LocalGit(tmp_path / "repos")
    try:
        yield port
    finally:
        port.close()


def _warm_spawns(spawns: _Spawns, op: Callable[[], object], calls: int = 5) -> list[str]:
    op()  # warm: starts the reader, fills the tree cache
    spawns.commands.clear()
    for _ in range(calls):
        op()
    return list(spawns.commands)


def test_resolves_and_file_reads_start_no_process_once_warm(git: LocalGit, spawns: _Spawns) -> None:
    files: dict[str, bytes | None] = {f"d{i}/f{j}.json": b"{}" for i in range(5) for j in range(5)}
    head = seed(git, files)
    write(git, "refs/heads/main", {"d1/f1.json": b"[]"}, message="two")
    reads: dict[str, Callable[[], object]] = {
        "resolve": lambda: git.resolve(REPO, "refs/heads/main"),
        "resolve missing": lambda: git.resolve(REPO, "refs/conman/autosave/none"),
        "get_entry": lambda: git.get_entry(REPO, "refs/heads/main", "d3/f4.json"),
        "read_blobs": lambda: git.read_blobs(REPO, head, ["d3/f4.json", "d1/f1.json"]),
        "find_commit": lambda: git.find_commit(REPO, "refs/heads/main"),
        "find_tag": lambda: git.find_tag(REPO, "v1"),
        "repository_exists": lambda: git.repository_exists(REPO),
    }
    assert {name: _warm_spawns(spawns, op) for name, op in reads.items()} == {
        name: [] for name in reads
    }


def test_listings_and_history_start_one_process_per_call(git: LocalGit, spawns: _Spawns) -> None:
    first = seed(git)
    second = write(git, "refs/heads/main", {"config/app.yaml": b"a: 2\n"}, message="two")
    one_each: dict[str, Callable[[], object]] = {
        "list_tree": lambda: git.list_tree(REPO, "refs/heads/main", "config"),
        "list_tree recursive": lambda: git.list_tree(REPO, second, "", recursive=True),
        "list_commits": lambda: git.list_commits(REPO, "refs/heads/main"),
        "is_ancestor": lambda: git.is_ancestor(REPO, first, second),
        "diff": lambda: git.diff(REPO, first, second),
        "list_branches": lambda: git.list_branches(REPO),
    }
    counts = {name: len(_warm_spawns(spawns, op, 3)) for name, op in one_each.items()}
    assert counts == {name: 3 for name in one_each}


def test_the_spawn_counter_sees_the_reader_start_on_a_cold_adapter(
    tmp_path: Path, spawns: _Spawns
) -> None:
    setup = LocalGit(tmp_path / "repos")
    seed(setup)
    setup.close()
    cold = LocalGit(tmp_path / "repos")
    try:
        spawns.commands.clear()
        cold.resolve(REPO, "refs/heads/main")
        cold.resolve(REPO, "refs/heads/main")
        assert spawns.commands == ["cat-file --batch-command"]
    finally:
        cold.close()
