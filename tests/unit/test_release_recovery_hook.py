"""The publish recovery pass runs at runner start and then at most once per sweep
interval (DOMAIN.md §17.3; ``conman_adapters.job_wiring.build_periodic``)."""

from __future__ import annotations

from datetime import UTC, datetime

from conman_adapters.job_wiring import build_periodic


class _Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.t


def test_the_hook_runs_at_once_then_at_most_once_per_interval() -> None:
    calls: list[float] = []
    clock = _Clock()
    hook = build_periodic(lambda: calls.append(clock.t), clock, 300.0)
    hook()
    clock.t += 299
    hook()
    assert calls == [100.0]
    clock.t += 1
    hook()
    hook()
    assert calls == [100.0, 400.0]
