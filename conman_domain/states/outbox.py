"""Notification outbox state machine (DOMAIN.md §18.2) and its backoff.

Fact: ``attempts_left`` (for ``send_failed``: the attempts made so far, including this one,
are fewer than ``MAX_ATTEMPTS``).
"""

from __future__ import annotations

from datetime import timedelta

from conman_domain.model.notifications import OutboxState
from conman_domain.states.machine import ActorRule, Machine, TransitionContext, row

__all__ = ["MAX_OUTBOX_ATTEMPTS", "OUTBOX_MACHINE", "outbox_backoff"]

OS = OutboxState
MAX_OUTBOX_ATTEMPTS = 4
_BACKOFF_SECONDS = (10, 60, 300)


def _attempts_left(ctx: TransitionContext) -> bool:
    return bool(ctx.fact("attempts_left"))


OUTBOX_MACHINE = Machine(
    name="notification_outbox",
    states=tuple(OS),
    terminal=frozenset({OS.SENT, OS.FAILED}),
    transitions=(
        row([None], OS.PENDING, "emit", ActorRule.SYSTEM),
        row([OS.PENDING], OS.SENT, "sent", ActorRule.SYSTEM),
        row([OS.PENDING], OS.PENDING, "send_failed", ActorRule.SYSTEM, when=_attempts_left),
        row([OS.PENDING], OS.FAILED, "send_failed", ActorRule.SYSTEM),
    ),
)


def outbox_backoff(failed_attempts: int) -> timedelta:
    """Wait after the ``failed_attempts``-th failure: 10 s, 60 s, then 300 s."""
    if not 1 <= failed_attempts < MAX_OUTBOX_ATTEMPTS:
        raise ValueError("no retry after this attempt")
    return timedelta(seconds=_BACKOFF_SECONDS[failed_attempts - 1])
