"""The runner's poll hook purges TTL collections on SQLite and memory (DOMAIN.md §20)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conman_adapters.config import load_settings
from conman_adapters.container import build_container
from conman_adapters.job_wiring import build_poll_hook
from conman_adapters.keys import ensure_embedded_keys
from conman_adapters.store import MemoryStore, build_repositories
from conman_adapters.store.repositories import Repositories
from conman_domain.errors import NotFound, ServiceUnavailable
from conman_domain.model import RevokedToken
from conman_domain.usecases.ttl_purge import PeriodicTtlPurge

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
USER = "u" * 24


class FakeClock:
    def __init__(self) -> None:
        self.elapsed = 0.0

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return 1000.0 + self.elapsed

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds


def revoke(repos: Repositories, token_id: str, expires_in_s: float) -> None:
    repos.revoked_tokens.insert(
        RevokedToken(
            id=token_id, created_at=T0, jti=f"jti-{token_id}", user_id=USER,
            expires_at=T0 + timedelta(seconds=expires_in_s),
        )
    )  # fmt: skip


def revoked(repos: Repositories, token_id: str) -> bool:
    try:
        repos.revoked_tokens.get(token_id)
    except NotFound:
        return False
    return True


class CountingDrain:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls = 0
        self.error = error

    def __call__(self) -> None:
        self.calls += 1
        if self.error is not None:
            raise self.error


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def repos(clock: FakeClock) -> Repositories:
    return build_repositories(MemoryStore(), clock)


def test_an_expired_token_is_purged_after_the_interval_and_not_before(
    clock: FakeClock, repos: Repositories
) -> None:
    revoke(repos, "1" * 24, expires_in_s=60)
    drain = CountingDrain()
    hook = build_poll_hook([("drain", drain), ("ttl", PeriodicTtlPurge(repos, clock, 300))])

    hook()  # the first poll purges, but the token has not expired yet
    clock.advance(100)  # now it has
    hook()
    clock.advance(199)
    hook()
    assert revoked(repos, "1" * 24)

    clock.advance(1)  # 300 s after the first purge
    hook()
    assert not revoked(repos, "1" * 24)
    assert drain.calls == 4  # the drain ran on every poll


def test_a_purge_reports_how_many_documents_it_deleted(
    clock: FakeClock, repos: Repositories
) -> None:
    revoke(repos, "1" * 24, expires_in_s=-1)
    revoke(repos, "2" * 24, expires_in_s=-1)
    revoke(repos, "3" * 24, expires_in_s=3600)
    purge = PeriodicTtlPurge(repos, clock, 300)

    assert purge() == 2
    assert revoked(repos, "3" * 24)
    assert purge() == 0


class BrokenStore:
    def __init__(self) -> None:
        self.calls = 0

    def purge_expired(self, now: datetime) -> int:
        self.calls += 1
        raise ServiceUnavailable("store down")


def test_a_failing_purge_is_logged_and_the_drain_still_runs(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    store = BrokenStore()
    drain = CountingDrain()
    hook = build_poll_hook([("drain", drain), ("ttl purge", PeriodicTtlPurge(store, clock, 300))])

    with caplog.at_level(logging.WARNING, logger="conman.jobs"):
        hook()
        hook()  # not retried on the next poll
        clock.advance(300)
        hook()

    assert drain.calls == 3
    assert store.calls == 2
    assert "poll hook ttl purge failed: store down" in caplog.text


def test_a_failing_drain_does_not_keep_the_purge_from_running(
    clock: FakeClock, repos: Repositories, caplog: pytest.LogCaptureFixture
) -> None:
    revoke(repos, "1" * 24, expires_in_s=-1)
    hook = build_poll_hook(
        [("drain", CountingDrain(RuntimeError("bug"))), ("ttl", PeriodicTtlPurge(repos, clock, 5))]
    )

    with caplog.at_level(logging.ERROR, logger="conman.jobs"):
        hook()

    assert not revoked(repos, "1" * 24)
    assert "poll hook drain failed" in caplog.text


def test_the_interval_is_the_temp_env_sweep_interval(tmp_path: Path, clock: FakeClock) -> None:
    settings = load_settings({"CONMAN_TEMP_ENV_SWEEP_INTERVAL_S": "120"}, cwd=tmp_path)
    container = build_container(settings, backend="memory", git_backend="memory")
    container.clock.override(clock)
    repos = container.repositories()
    purge = container.ttl_purge()

    purge()
    revoke(repos, "1" * 24, expires_in_s=10)
    clock.advance(119)
    purge()
    assert revoked(repos, "1" * 24)
    clock.advance(1)
    purge()
    assert not revoked(repos, "1" * 24)


def test_the_running_job_runner_purges_expired_tokens(tmp_path: Path) -> None:
    environ = {"CONMAN_JOB_POLL_INTERVAL_MS": "10"}
    settings, _ = ensure_embedded_keys(load_settings(environ, cwd=tmp_path))
    container = build_container(settings, backend="memory", git_backend="memory")
    repos = container.repositories()
    revoke(repos, "1" * 24, expires_in_s=-1)
    runner = container.job_runner()
    runner.start()
    try:
        for _ in range(500):  # bounded wait for the first poll, not a timing assertion
            if not revoked(repos, "1" * 24):
                break
            time.sleep(0.01)
    finally:
        runner.stop(timeout=5)
    assert not revoked(repos, "1" * 24)
