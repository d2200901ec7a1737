"""GitalyGit under faults: retries, deadlines and the status mapping (DOMAIN.md §6.3).

The Gitaly-protocol test server is stopped in the middle of a call, slowed down past
the deadline, or made to fail the next calls of a method with a given status.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest

from conman_adapters.gitaly import GitalyDeadlines, GitalyGit
from conman_adapters.gitaly.transport import close_channel
from conman_domain.errors import (
    Conflict,
    Forbidden,
    GitTimeout,
    GitUnavailable,
    NotFound,
    Validation,
)
from conman_domain.gitmodel import FileAction, RepoRef, Signature
from tests.gitaly_server import Faults, GitalyTestServer

REPO = RepoRef(relative_path="apps/faults", gl_repository="app-faults")
AUTHOR = Signature(
    name="Alice", email="alice@example.com", when=datetime(2026, 1, 2, tzinfo=UTC), user_id="u1"
)
pytestmark = pytest.mark.timeout(60)


class Harness:
    def __init__(self, root: Path, deadline: float = 2.0) -> None:
        self.faults = Faults()
        self.server = GitalyTestServer(root, self.faults)
        self.sleeps: list[float] = []
        deadlines = GitalyDeadlines(
            metadata=deadline, read=deadline, diff=deadline, write=deadline, merge=deadline
        )
        self.git = GitalyGit(self.server.address, deadlines=deadlines, sleep=self.sleep)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        time.sleep(seconds)

    def calls(self, method: str) -> int:
        return sum(1 for name, _ in self.server.state.calls if name == method)

    def seed(self) -> str:
        self.git.create_repository(REPO, default_branch="main")
        return self.git.commit_files(
            REPO,
            ref="refs/heads/main",
            parent=None,
            expected_old="0" * 40,
            actions=[FileAction(action="create", path="a.txt", content=b"a\n")],
            message="seed",
            author=AUTHOR,
        )


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness(tmp_path)
    try:
        yield harness
    finally:
        close_channel(harness.server.address)
        harness.server.stop()


def test_a_server_stopped_mid_call_is_retried_then_reported_as_git_unavailable(
    h: Harness,
) -> None:
    h.seed()
    h.faults.stop_during.add("FindCommit")
    with pytest.raises(GitUnavailable) as caught:
        h.git.resolve(REPO, "refs/heads/main")
    assert caught.value.code == "git_error"
    assert h.calls("FindCommit") == 1  # the server died during the first attempt
    assert len(h.sleeps) == 2  # ...and the client still made all three attempts
    assert 0.1 <= h.sleeps[0] <= 0.15
    assert 0.2 <= h.sleeps[1] <= 0.3


def test_a_call_slower_than_its_deadline_is_retried_then_reported_as_git_timeout(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, deadline=0.3)
    try:
        h.seed()
        h.faults.delays["FindCommit"] = 1.0
        started = time.monotonic()
        with pytest.raises(GitTimeout) as caught:
            h.git.resolve(REPO, "refs/heads/main")
        elapsed = time.monotonic() - started
    finally:
        close_channel(h.server.address)
        h.server.stop()
    assert caught.value.code == "git_timeout"
    assert h.calls("FindCommit") == 3
    # 3 deadlines of 0.3 s plus at most 0.45 s of backoff; generous against slow CI.
    assert elapsed < 5.0


def test_transient_statuses_are_retried_until_a_later_attempt_succeeds(h: Harness) -> None:
    head = h.seed()
    h.faults.fail_next["FindCommit"] = [
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.UNAVAILABLE,
    ]
    assert h.git.resolve(REPO, "refs/heads/main") == head
    assert h.calls("FindCommit") == 3
    assert len(h.sleeps) == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, Validation),
        (grpc.StatusCode.PERMISSION_DENIED, Forbidden),
        (grpc.StatusCode.NOT_FOUND, NotFound),
        (grpc.StatusCode.FAILED_PRECONDITION, Conflict),
        (grpc.StatusCode.ALREADY_EXISTS, Conflict),
        (grpc.StatusCode.INTERNAL, GitUnavailable),
    ],
)
def test_other_statuses_are_mapped_once_without_retry(
    h: Harness, status: grpc.StatusCode, error: type[Exception]
) -> None:
    h.seed()
    h.faults.fail_next["FindLocalBranches"] = [status]
    with pytest.raises(error):
        h.git.list_branches(REPO)
    assert h.calls("FindLocalBranches") == 1
    assert h.sleeps == []


def test_ping_fails_with_git_unavailable_after_three_attempts_once_the_server_is_gone(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, deadline=1.0)
    h.git.ping()
    assert h.sleeps == []
    h.server.stop()
    try:
        with pytest.raises(GitUnavailable):
            h.git.ping()
    finally:
        close_channel(h.server.address)
    assert len(h.sleeps) == 2
