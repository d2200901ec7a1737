"""Job state machine (DOMAIN.md §17.2) and retry backoff (§17.4).

Facts: ``due`` (claim: run_after ≤ now), ``attempts_left`` (attempts < max_attempts, for
``fail_retryable`` and ``reclaim``), ``lease_expired`` (reclaim: locked_until < now).
"""

from __future__ import annotations

from datetime import timedelta

from conman_domain.model.jobs import JobState
from conman_domain.states.machine import (
    ActorRule,
    Machine,
    TransitionContext,
    fact_guard,
    row,
)

__all__ = ["JOB_MACHINE", "retry_backoff"]

J = JobState


def _attempts_left(ctx: TransitionContext) -> bool:
    return bool(ctx.fact("attempts_left"))


_lease = fact_guard("lease_expired", "the job's lease has not expired")

JOB_MACHINE = Machine(
    name="job",
    states=tuple(J),
    terminal=frozenset({J.SUCCEEDED, J.FAILED, J.CANCELED}),
    transitions=(
        row([None], J.QUEUED, "enqueue", ActorRule.SYSTEM),
        row(
            [J.QUEUED],
            J.RUNNING,
            "claim",
            ActorRule.SYSTEM,
            fact_guard("due", "the job is not due yet"),
        ),
        row([J.QUEUED, J.RUNNING], J.CANCELED, "cancel", ActorRule.OWNER_OR_CM),
        row([J.RUNNING], J.SUCCEEDED, "succeed", ActorRule.SYSTEM),
        row([J.RUNNING], J.QUEUED, "fail_retryable", ActorRule.SYSTEM, when=_attempts_left),
        row([J.RUNNING], J.FAILED, "fail_retryable", ActorRule.SYSTEM),
        row([J.RUNNING], J.FAILED, "fail_final", ActorRule.SYSTEM),
        row([J.RUNNING], J.RUNNING, "reclaim", ActorRule.SYSTEM, _lease, when=_attempts_left),
        row([J.RUNNING], J.FAILED, "reclaim", ActorRule.SYSTEM, _lease),
    ),
)


def retry_backoff(attempt: int) -> timedelta:
    """Delay before attempt ``attempt + 1``: 5 s * 2**(attempt-1), at most 5 min (§17.4)."""
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    return timedelta(seconds=min(5 * 2 ** (attempt - 1), 300))
