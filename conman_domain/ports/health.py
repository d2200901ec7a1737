"""Health probes used by ``GET /api/health`` (API.md §3)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

__all__ = ["RunnerHeartbeatPort", "StoreHealthPort"]


class StoreHealthPort(Protocol):
    """Liveness of the document store."""

    @property
    def backend(self) -> str:
        """The backend's name: ``"sqlite"``, ``"mongodb"`` or ``"memory"``."""
        ...

    def ping(self) -> None:
        """Round-trip to the store. Raises ``ServiceUnavailable`` when it does not answer."""
        ...


class RunnerHeartbeatPort(Protocol):
    """Job-runner heartbeats (DOMAIN.md §17.8), kept in ``job_runner_heartbeats``."""

    def beat(self, runner_id: str, host: str, pid: int, at: datetime) -> None:
        """Upsert the runner's heartbeat document. Raises ``ServiceUnavailable`` when down."""
        ...

    def latest(self) -> datetime | None:
        """The newest ``last_beat_at`` of any runner, or ``None`` when no runner ever beat."""
        ...
