"""Login throttle and fixed-window rate limits (API.md §1.11, §4.1).

Everything here is pure: time is passed in by the caller (from ``ClockPort``), and
nothing is read from or written to a store. The login-throttle functions work on any
record with ``failure_count``, ``window_started_at`` and ``locked_until`` (the stored
``LoginThrottle`` entity fits); the caller persists the returned ``ThrottleState``.
"""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta
from typing import Protocol

from conman_domain.model.base import Value

__all__ = [
    "LOGIN_LOCK",
    "LOGIN_MAX_FAILURES",
    "LOGIN_WINDOW",
    "FixedWindowLimiter",
    "RateDecision",
    "ThrottleRecord",
    "ThrottleState",
    "login_retry_after",
    "register_login_failure",
]

LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_LOCK = timedelta(minutes=15)
LOGIN_MAX_FAILURES = 5


class ThrottleRecord(Protocol):
    """What the throttle needs from a stored login-failure record."""

    @property
    def failure_count(self) -> int: ...

    @property
    def window_started_at(self) -> datetime | None: ...

    @property
    def locked_until(self) -> datetime | None: ...


class ThrottleState(Value, frozen=True, kw_only=True):
    """The new values of a login-failure record after a failure."""

    failure_count: int
    window_started_at: datetime
    locked_until: datetime | None = None

    @property
    def locked(self) -> bool:
        """True when this failure locked the email."""
        return self.locked_until is not None


def login_retry_after(record: ThrottleRecord | None, now: datetime) -> int | None:
    """Return the whole seconds until the email unlocks, or ``None`` when it is not locked.

    While locked, login answers 429 without checking the password; the value feeds
    ``Retry-After`` and is at least 1.
    """
    if record is None or record.locked_until is None or now >= record.locked_until:
        return None
    return max(1, math.ceil((record.locked_until - now).total_seconds()))


def register_login_failure(record: ThrottleRecord | None, now: datetime) -> ThrottleState:
    """Return the record's values after one more failed login at ``now``.

    - No record, or a failure more than 15 min after the window start → count 1 and a
      new window starting now.
    - A failure after an expired lock also starts a new window: the lock has served
      its purpose, and counting on would re-lock on the very next typo.
    - The 5th failure within the window locks the email for 15 min from now.
    - While locked, attempts neither count nor extend the lock: the record's current
      values come back unchanged. (Callers should not even get here: they check
      ``login_retry_after`` first.)
    """
    if record is not None and login_retry_after(record, now) is not None:
        assert record.window_started_at is not None  # a lock always has a window
        return ThrottleState(
            failure_count=record.failure_count,
            window_started_at=record.window_started_at,
            locked_until=record.locked_until,
        )
    if (
        record is None
        or record.window_started_at is None
        or record.locked_until is not None
        or now - record.window_started_at > LOGIN_WINDOW
    ):
        count, started = 1, now
    else:
        count, started = record.failure_count + 1, record.window_started_at
    locked_until = now + LOGIN_LOCK if count >= LOGIN_MAX_FAILURES else None
    return ThrottleState(failure_count=count, window_started_at=started, locked_until=locked_until)


class RateDecision(Value, frozen=True, kw_only=True):
    """Outcome of one request against a fixed-window limit.

    ``limit == 0`` means the limit is disabled: always allowed, no headers.
    ``reset_epoch`` is the end of the current window in epoch seconds
    (``X-RateLimit-Reset``); ``retry_after_seconds`` is set only when refused.
    """

    allowed: bool
    limit: int
    remaining: int
    reset_epoch: int
    retry_after_seconds: int | None = None


class FixedWindowLimiter:
    """Per-key request counter over fixed windows aligned to the epoch.

    Counters live in this object (one per API process, as API.md §1.11 allows).
    Windows are aligned (``[k*window, (k+1)*window)``), so every key shares the same
    window and the whole table is dropped when it rolls over: memory stays bounded by
    the keys seen in one window. Safe to call from several threads.
    """

    def __init__(self, limit: int, window_seconds: int = 60) -> None:
        if limit < 0 or window_seconds <= 0:
            raise ValueError("limit must be >= 0 and window_seconds > 0")
        self._limit = limit
        self._window = window_seconds
        self._window_start = -1
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        return self._limit

    def hit(self, key: str, now: datetime) -> RateDecision:
        """Count one request for ``key`` at ``now`` and say whether it is allowed.

        A refused request is not counted, so a client that backs off is not punished
        longer than the window.
        """
        epoch = math.floor(now.timestamp())
        start = epoch - epoch % self._window
        reset = start + self._window
        if self._limit == 0:
            return RateDecision(allowed=True, limit=0, remaining=0, reset_epoch=reset)
        with self._lock:
            if start != self._window_start:
                self._window_start = start
                self._counts = {}
            used = self._counts.get(key, 0)
            if used >= self._limit:
                return RateDecision(
                    allowed=False,
                    limit=self._limit,
                    remaining=0,
                    reset_epoch=reset,
                    retry_after_seconds=max(1, reset - epoch),
                )
            self._counts[key] = used + 1
            return RateDecision(
                allowed=True,
                limit=self._limit,
                remaining=self._limit - used - 1,
                reset_epoch=reset,
            )
