"""``PeriodicTtlPurge``: TTL indexes on backends without native TTL (DOMAIN.md §20).

MongoDB expires documents itself; on SQLite and memory the job runner's poll hook
calls this on every poll, and it purges at most once per ``interval_s`` seconds:
revoked tokens, password-reset tokens, login throttles and sent outbox mails.
"""

from __future__ import annotations

import threading

from conman_domain.ports.clock import ClockPort
from conman_domain.ports.repos import ExpiringRepoPort

__all__ = ["PeriodicTtlPurge"]


class PeriodicTtlPurge:
    """Call ``purge_expired(now)`` on the first call, then once ``interval_s`` seconds
    (monotonic) have passed since the previous attempt.

    Returns how many documents were deleted (0 when not due). A failing purge raises to
    the caller (the runner logs it) and is attempted again only after the interval, so
    a store outage does not turn into a purge on every poll.
    """

    def __init__(self, store: ExpiringRepoPort, clock: ClockPort, interval_s: float) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self._store = store
        self._clock = clock
        self._interval = interval_s
        self._next_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            now = self._clock.monotonic()
            if self._next_at is not None and now < self._next_at:
                return 0
            self._next_at = now + self._interval
        return self._store.purge_expired(self._clock.now())
