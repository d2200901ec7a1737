"""The worker's heartbeat loop (the job runner itself lands later)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from conman_cli.worker import HeartbeatLoop
from conman_domain.errors import ServiceUnavailable


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC)

    def monotonic(self) -> float:
        return 0.0


class Heartbeats:
    """Records beats; stops the loop after ``stop_after`` calls; fails the first ``fail``."""

    def __init__(self, stop: threading.Event, stop_after: int, fail: int = 0) -> None:
        self.stop, self.stop_after, self.fail = stop, stop_after, fail
        self.calls: list[tuple[str, datetime]] = []

    def beat(self, runner_id: str, host: str, pid: int, at: datetime) -> None:
        self.calls.append((runner_id, at))
        if len(self.calls) >= self.stop_after:
            self.stop.set()
        if len(self.calls) <= self.fail:
            raise ServiceUnavailable("store down")

    def latest(self) -> datetime | None:
        return self.calls[-1][1] if self.calls else None


def test_the_loop_beats_until_stopped() -> None:
    stop = threading.Event()
    heartbeats = Heartbeats(stop, stop_after=3)
    loop = HeartbeatLoop(heartbeats=heartbeats, clock=Clock(), runner_id="r1", interval=0)
    loop.run(stop)
    assert heartbeats.calls == [("r1", Clock().now())] * 3
    assert loop.beats == 3


def test_a_failed_beat_does_not_stop_the_worker() -> None:
    stop = threading.Event()
    heartbeats = Heartbeats(stop, stop_after=3, fail=2)
    loop = HeartbeatLoop(heartbeats=heartbeats, clock=Clock(), runner_id="r1", interval=0)
    loop.run(stop)
    assert len(heartbeats.calls) == 3
    assert loop.beats == 1


def test_a_stopped_loop_does_not_beat() -> None:
    stop = threading.Event()
    stop.set()
    heartbeats = Heartbeats(stop, stop_after=1)
    HeartbeatLoop(heartbeats=heartbeats, clock=Clock(), runner_id="r1").run(stop)
    assert heartbeats.calls == []
