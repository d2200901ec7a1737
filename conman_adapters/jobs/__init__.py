"""Conman adapters: jobs (the runner engine of DOMAIN.md §17)."""

from conman_adapters.jobs.context import JobContext, JobHandler, StopReason
from conman_adapters.jobs.execution import NO_WORKER
from conman_adapters.jobs.policy import (
    DEFAULT_TIMEOUTS_S,
    RETRYABLE_CODES,
    describe_error,
    is_retryable,
    timeout_for,
)
from conman_adapters.jobs.runner import JobRunner

__all__ = [
    "DEFAULT_TIMEOUTS_S",
    "NO_WORKER",
    "RETRYABLE_CODES",
    "JobContext",
    "JobHandler",
    "JobRunner",
    "StopReason",
    "describe_error",
    "is_retryable",
    "timeout_for",
]
