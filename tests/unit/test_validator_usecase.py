"""Validation use cases: a git revision through the built-in validator, and gate
command results (DOMAIN.md §11.3, §11.4)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from conman_adapters.memory import InMemoryGit
from conman_domain.errors import NotFound
from conman_domain.gitmodel import ZERO_OID, FileAction, RepoRef, Signature
from conman_domain.ports.runner import CommandResult
from conman_domain.usecases.validate import (
    ValidateRevision,
    command_validation_result,
    read_structured_files,
)

REPO = RepoRef(relative_path="apps/shop.git")
WHEN = datetime(2026, 1, 2, tzinfo=UTC)


class TickingClock:
    def __init__(self) -> None:
        self._ticks = itertools.count(0.0, 0.5)

    def now(self) -> datetime:
        return WHEN

    def monotonic(self) -> float:
        return next(self._ticks)


def commit(git: InMemoryGit, files: dict[str, str]) -> str:
    return git.commit_files(
        REPO,
        ref="refs/heads/main",
        parent=None,
        expected_old=ZERO_OID,
        actions=[FileAction(action="create", path=p, content=t.encode()) for p, t in files.items()],
        message="init",
        author=Signature(name="A", email="a@example.com", when=WHEN),
    )


@pytest.fixture
def git() -> InMemoryGit:
    git = InMemoryGit()
    git.create_repository(REPO, default_branch="main")
    return git


def test_a_revision_with_a_dangling_reference_fails(git: InMemoryGit) -> None:
    commit(
        git,
        {
            "config/pages/home.yaml": "name: home\nentity: Ghost\n",
            "entities/a.json": '{"name": "A"}',
            "README.md": "# x\n",
        },
    )
    result = ValidateRevision(git, TickingClock())(REPO, "refs/heads/main")
    assert not result.passed
    assert [(f.path, f.message) for f in result.failures] == [
        ("config/pages/home.yaml", 'unresolved reference to entity "Ghost"')
    ]
    assert result.duration_ms == 500


def test_a_consistent_revision_passes(git: InMemoryGit) -> None:
    sha = commit(git, {"entities/a.json": '{"name": "A"}', "pages/p.yaml": "name: p\nentity: A\n"})
    assert ValidateRevision(git, TickingClock())(REPO, sha).passed


def test_only_structured_files_are_read(git: InMemoryGit) -> None:
    sha = commit(git, {"a/b.yml": "x: 1\n", "c.json": "{}", "d.txt": "x", "e.yaml.bak": "x"})
    assert sorted(read_structured_files(git, REPO, sha)) == ["a/b.yml", "c.json"]


def test_an_unknown_revision_is_not_found(git: InMemoryGit) -> None:
    with pytest.raises(NotFound):
        ValidateRevision(git, TickingClock())(REPO, "refs/heads/nope")


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (CommandResult(exit_code=0, duration_ms=12), None),
        (CommandResult(exit_code=3, duration_ms=12), "command exited with code 3"),
        (CommandResult(exit_code=-15, timed_out=True, duration_ms=12), "timeout"),
        (CommandResult(exit_code=-15, canceled=True, duration_ms=12), "canceled"),
    ],
)
def test_a_command_run_is_one_check(result: CommandResult, message: str | None) -> None:
    validation = command_validation_result(result)
    assert validation.runner == "command"
    assert validation.checks == 1
    assert validation.exit_code == result.exit_code
    assert validation.duration_ms == 12
    assert validation.passed is (message is None)
    assert [(f.path, f.message) for f in validation.failures] == (
        [] if message is None else [("", message)]
    )
