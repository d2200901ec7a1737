"""``CheckHealth``: the component rules of ``GET /api/health`` (API.md §3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import msgspec

from conman_domain.errors import ConmanError
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.health import RunnerHeartbeatPort, StoreHealthPort

__all__ = ["CheckHealth", "ComponentHealth", "ComponentStatus", "HealthReport"]

ComponentStatus = Literal["healthy", "degraded", "unhealthy"]
OverallStatus = Literal["ok", "degraded", "unhealthy"]

DB_HEALTHY_BELOW_S = 1.0
DB_DEGRADED_UNTIL_S = 5.0
RUNNER_HEALTHY_UNTIL_S = 30.0
RUNNER_DEGRADED_UNTIL_S = 60.0


class ComponentHealth(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    status: ComponentStatus
    detail: str


class HealthReport(msgspec.Struct, frozen=True, kw_only=True):
    status: OverallStatus
    version: str
    components: list[ComponentHealth]

    @property
    def database_unhealthy(self) -> bool:
        """True exactly when the HTTP status must be 503."""
        return self.components[0].status == "unhealthy"


class CheckHealth:
    """Probe the store, git and the job runners; never raises for a failing probe.

    - ``database``: healthy when ``store.ping()`` answers in under 1 s, degraded at
      1-5 s, unhealthy when slower or when it raises.
    - ``git``: healthy when ``git_ping()`` returns, unhealthy when it raises.
    - ``job_runner``: from the newest heartbeat: healthy when at most 30 s old,
      degraded up to 60 s, unhealthy when older, missing or unreadable.
    - overall: ``unhealthy`` iff database is; ``ok`` iff all are healthy; else
      ``degraded``.
    """

    def __init__(
        self,
        *,
        store: StoreHealthPort,
        git_ping: Callable[[], None],
        heartbeats: RunnerHeartbeatPort,
        clock: ClockPort,
        version: str,
    ) -> None:
        self._store = store
        self._git_ping = git_ping
        self._heartbeats = heartbeats
        self._clock = clock
        self._version = version

    def __call__(self) -> HealthReport:
        components = [self._database(), self._git(), self._runner()]
        statuses = [c.status for c in components]
        overall: OverallStatus
        if statuses[0] == "unhealthy":
            overall = "unhealthy"
        elif all(s == "healthy" for s in statuses):
            overall = "ok"
        else:
            overall = "degraded"
        return HealthReport(status=overall, version=self._version, components=components)

    def _database(self) -> ComponentHealth:
        backend = self._store.backend
        started = self._clock.monotonic()
        try:
            self._store.ping()
        except ConmanError:
            return ComponentHealth(
                name="database", status="unhealthy", detail=f"{backend}: unreachable"
            )
        elapsed = self._clock.monotonic() - started
        status: ComponentStatus
        if elapsed < DB_HEALTHY_BELOW_S:
            status = "healthy"
        elif elapsed <= DB_DEGRADED_UNTIL_S:
            status = "degraded"
        else:
            status = "unhealthy"
        detail = f"{backend}: ping {round(elapsed * 1000)}ms"
        return ComponentHealth(name="database", status=status, detail=detail)

    def _git(self) -> ComponentHealth:
        try:
            self._git_ping()
        except ConmanError as exc:
            return ComponentHealth(
                name="git", status="unhealthy", detail=f"unreachable ({exc.code})"
            )
        return ComponentHealth(name="git", status="healthy", detail="connected")

    def _runner(self) -> ComponentHealth:
        try:
            latest = self._heartbeats.latest()
        except ConmanError:
            return ComponentHealth(
                name="job_runner", status="unhealthy", detail="heartbeats unreadable"
            )
        if latest is None:
            return ComponentHealth(name="job_runner", status="unhealthy", detail="no heartbeat")
        age = max(0.0, (self._clock.now() - latest).total_seconds())
        status: ComponentStatus
        if age <= RUNNER_HEALTHY_UNTIL_S:
            status = "healthy"
        elif age <= RUNNER_DEGRADED_UNTIL_S:
            status = "degraded"
        else:
            status = "unhealthy"
        return ComponentHealth(
            name="job_runner", status=status, detail=f"last heartbeat {int(age)}s ago"
        )
