"""Login throttle and fixed-window limiter (API.md §1.11, §4.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conman_domain.model.users import LoginThrottle
from conman_domain.ratelimit import (
    LOGIN_LOCK,
    FixedWindowLimiter,
    ThrottleState,
    login_retry_after,
    register_login_failure,
)

T0 = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)


def _fail_times(*minutes: float) -> ThrottleState:
    state: ThrottleState | None = None
    for minute in minutes:
        state = register_login_failure(state, T0 + timedelta(minutes=minute))
    assert state is not None
    return state


def test_first_failure_starts_the_window_with_count_one() -> None:
    state = register_login_failure(None, T0)
    assert state == ThrottleState(failure_count=1, window_started_at=T0, locked_until=None)


def test_fifth_failure_within_the_window_locks_for_fifteen_minutes() -> None:
    fourth = _fail_times(0, 1, 2, 3)
    assert fourth.failure_count == 4 and not fourth.locked
    fifth = register_login_failure(fourth, T0 + timedelta(minutes=14))
    assert fifth.failure_count == 5
    assert fifth.locked_until == T0 + timedelta(minutes=14) + LOGIN_LOCK
    assert fifth.window_started_at == T0


def test_failure_more_than_fifteen_minutes_after_window_start_restarts_at_one() -> None:
    state = _fail_times(0, 1, 2, 3, 15.01)
    assert state.failure_count == 1
    assert state.window_started_at == T0 + timedelta(minutes=15.01)
    assert not state.locked


def test_failure_exactly_fifteen_minutes_after_window_start_still_counts() -> None:
    state = _fail_times(0, 1, 2, 3, 15)
    assert state.failure_count == 5 and state.locked


def test_window_start_is_the_first_failure_not_the_latest() -> None:
    # Failures every 4 minutes: the 5th lands 16 min after the first, so a new window.
    state = _fail_times(0, 4, 8, 12, 16)
    assert state.failure_count == 1 and not state.locked


def test_locked_attempts_neither_count_nor_extend_the_lock() -> None:
    locked = _fail_times(0, 1, 2, 3, 4)
    again = register_login_failure(locked, T0 + timedelta(minutes=10))
    assert again == locked


def test_retry_after_counts_whole_seconds_until_unlock() -> None:
    locked = _fail_times(0, 0, 0, 0, 0)
    assert login_retry_after(locked, T0) == 900
    assert login_retry_after(locked, T0 + timedelta(seconds=899, milliseconds=500)) == 1
    assert login_retry_after(locked, T0 + LOGIN_LOCK) is None


def test_unlocked_or_missing_record_has_no_retry_after() -> None:
    assert login_retry_after(None, T0) is None
    assert login_retry_after(_fail_times(0, 1), T0 + timedelta(minutes=2)) is None


def test_failure_after_an_expired_lock_starts_a_new_window() -> None:
    locked = _fail_times(0, 0, 0, 0, 0)
    after = register_login_failure(locked, T0 + LOGIN_LOCK)
    assert after == ThrottleState(failure_count=1, window_started_at=T0 + LOGIN_LOCK)


def test_stored_login_throttle_entity_is_accepted_as_a_record() -> None:
    record = LoginThrottle(
        id="a" * 24,
        created_at=T0,
        updated_at=T0,
        email="x@example.com",
        failure_count=4,
        window_started_at=T0,
    )
    state = register_login_failure(record, T0 + timedelta(minutes=5))
    assert state.failure_count == 5 and state.locked
    record.locked_until = state.locked_until
    assert login_retry_after(record, T0 + timedelta(minutes=5)) == 900


def test_limiter_allows_up_to_the_limit_and_reports_remaining() -> None:
    limiter = FixedWindowLimiter(limit=3, window_seconds=60)
    now = T0 + timedelta(seconds=5)
    remaining = [limiter.hit("user-1", now).remaining for _ in range(3)]
    assert remaining == [2, 1, 0]
    refused = limiter.hit("user-1", now)
    assert not refused.allowed
    assert refused.reset_epoch == int(T0.timestamp()) + 60
    assert refused.retry_after_seconds == 55


def test_limiter_counts_each_key_separately() -> None:
    limiter = FixedWindowLimiter(limit=1)
    assert limiter.hit("10.0.0.1", T0).allowed
    assert limiter.hit("10.0.0.2", T0).allowed
    assert not limiter.hit("10.0.0.1", T0).allowed


def test_limiter_resets_when_the_next_window_starts() -> None:
    limiter = FixedWindowLimiter(limit=1, window_seconds=60)
    assert limiter.hit("k", T0 + timedelta(seconds=59)).allowed
    assert not limiter.hit("k", T0 + timedelta(seconds=59, milliseconds=999)).allowed
    fresh = limiter.hit("k", T0 + timedelta(seconds=60))
    assert fresh.allowed and fresh.reset_epoch == int(T0.timestamp()) + 120


def test_refused_requests_are_not_counted() -> None:
    limiter = FixedWindowLimiter(limit=2)
    for _ in range(10):
        limiter.hit("k", T0)
    assert limiter.hit("k", T0 + timedelta(seconds=60)).remaining == 1


def test_limit_zero_disables_the_limiter() -> None:
    limiter = FixedWindowLimiter(limit=0)
    decisions = [limiter.hit("k", T0) for _ in range(1000)]
    assert all(d.allowed for d in decisions)
    assert decisions[-1].limit == 0


def test_negative_limit_is_rejected() -> None:
    with pytest.raises(ValueError):
        FixedWindowLimiter(limit=-1)


@settings(max_examples=200, deadline=None)
@given(gaps=st.lists(st.integers(min_value=0, max_value=40 * 60), min_size=1, max_size=30))
def test_throttle_never_counts_past_five_and_never_extends_a_lock(gaps: list[int]) -> None:
    state: ThrottleState | None = None
    now = T0
    for gap in gaps:
        now += timedelta(seconds=gap)
        before = state
        if login_retry_after(state, now) is not None:
            # Locked: the login is refused without a password check and not counted.
            assert before is not None and register_login_failure(before, now) == before
            continue
        state = register_login_failure(state, now)
        assert 1 <= state.failure_count <= 5
        assert now - state.window_started_at <= timedelta(minutes=15)
        assert state.locked == (state.failure_count == 5)
        if state.locked:
            assert state.locked_until == now + LOGIN_LOCK
