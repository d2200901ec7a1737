"""Runner heartbeats in ``job_runner_heartbeats`` (DOMAIN.md §17.8)."""

from __future__ import annotations

from datetime import datetime

from conman_adapters.store.base import DocumentStore
from conman_domain.model import JobRunnerHeartbeat
from conman_domain.ports.health import RunnerHeartbeatPort

__all__ = ["StoreRunnerHeartbeats"]


class StoreRunnerHeartbeats(RunnerHeartbeatPort):
    """Upserts ``{_id: runner_id, last_beat_at, host, pid}``; reads the newest beat."""

    def __init__(self, store: DocumentStore) -> None:
        self._coll = store.collection("job_runner_heartbeats")

    def beat(self, runner_id: str, host: str, pid: int, at: datetime) -> None:
        self._coll.update_one(
            {"_id": runner_id},
            {"$set": {"last_beat_at": at, "host": host, "pid": pid, "created_at": at}},
            upsert=True,
        )

    def latest(self) -> datetime | None:
        newest = self._coll.find_one_as({}, JobRunnerHeartbeat, [("last_beat_at", -1)])
        return newest.last_beat_at if newest is not None else None
