"""Time comes through a port so that the domain never reads the wall clock."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

__all__ = ["ClockPort"]


class ClockPort(Protocol):
    """Source of the current time."""

    def now(self) -> datetime:
        """Return the current instant as a timezone-aware UTC ``datetime``.

        Successive calls never go backwards within one process. Never fails.
        """
        ...

    def monotonic(self) -> float:
        """Return a monotonic reading in seconds, for durations only."""
        ...
