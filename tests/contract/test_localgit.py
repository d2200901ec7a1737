"""``LocalGit`` specifics beyond the port contract: reader restarts and error wrapping."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from git_backends import REPO, seed, write

from conman_adapters.localgit import LocalGit
from conman_domain.errors import Conflict, GitUnavailable, Validation
from conman_domain.gitmodel import RepoRef


@pytest.fixture
def git(tmp_path: Path) -> Iterator[LocalGit]:
    port = LocalGit(tmp_path / "repos")
    try:
        yield port
    finally:
        port.close()


def test_repositories_are_bare_directories_named_after_the_relative_path(
    git: LocalGit, tmp_path: Path
) -> None:
    seed(git)
    path = tmp_path / "repos" / "apps" / "demo.git"
    assert (path / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert not (path / "index").exists()


def test_a_killed_reader_process_is_restarted_transparently(git: LocalGit) -> None:
    head = seed(git)
    git_dir = git._dir(REPO)
    reader = git._reader(git_dir)
    proc = reader._proc
    assert proc is not None
    proc.kill()
    proc.wait()
    assert git.resolve(REPO, "refs/heads/main") == head
    assert reader._proc is not None and reader._proc.pid != proc.pid


def test_a_missing_git_binary_is_git_unavailable(
    git: LocalGit, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(git)
    git.close()
    monkeypatch.setenv("PATH", os.devnull)
    with pytest.raises(GitUnavailable):
        git.ping()
    with pytest.raises(GitUnavailable):
        git.resolve(REPO, "refs/heads/main")
    with pytest.raises(GitUnavailable):
        write(git, "refs/heads/main", {"x.txt": b"x"})


@pytest.mark.parametrize("path", ["../escape", "/abs", "a/./b", ""])
def test_repository_paths_cannot_escape_the_repository_directory(git: LocalGit, path: str) -> None:
    with pytest.raises(Validation):
        git.create_repository(RepoRef(relative_path=path), default_branch="main")


def test_revisions_are_never_interpreted_as_git_expressions(git: LocalGit) -> None:
    seed(git)
    write(git, "refs/heads/main", {"x.txt": b"x"})
    for expression in ["refs/heads/main~1", "HEAD", ":/initial", "refs/heads/main^"]:
        assert git.resolve(REPO, expression) is None


def test_an_observer_sees_every_port_call_with_its_outcome(tmp_path: Path) -> None:
    calls: list[tuple[str, str]] = []
    git = LocalGit(tmp_path / "repos", observer=lambda m, o, s: calls.append((m, o)))
    try:
        git.create_repository(REPO, default_branch="main")
        with pytest.raises(Conflict):
            git.create_repository(REPO, default_branch="main")
        assert git.resolve(REPO, "refs/heads/main") is None
    finally:
        git.close()
    assert calls == [
        ("create_repository", "ok"),
        ("create_repository", "conflict"),
        ("resolve", "ok"),
    ]
