"""Per-type job policy: timeouts (DOMAIN.md §17.1) and failure classification (§17.4)."""

from __future__ import annotations

from collections.abc import Mapping

from conman_domain.errors import ConmanError
from conman_domain.model import Job

__all__ = ["DEFAULT_TIMEOUTS_S", "RETRYABLE_CODES", "describe_error", "is_retryable", "timeout_for"]

DEFAULT_TIMEOUTS_S: Mapping[str, float] = {
    "msuite_submit": 15 * 60,
    "msuite_merge": 60 * 60,
    "revalidate_queued_changeset": 15 * 60,
    "release_assemble": 10 * 60,
    "deploy_release": 60 * 60,
    "runtime_profile_drift_check": 15 * 60,
    "temp_env_provision": 30 * 60,
    "temp_env_expire": 60,
    "temp_env_cleanup": 10 * 60,
}
"""Timeouts of §17.1; ``CONMAN_JOB_TIMEOUT_<TYPE>_S`` overrides them."""

_FALLBACK_TIMEOUT_S = 15 * 60.0

RETRYABLE_CODES = frozenset({"git_error", "git_timeout", "service_unavailable"})
"""Infrastructure failures (git 5xx, store errors) are retried; other domain errors are
final (a gate failed, a conflict, a guard no longer holds)."""

_MAX_ERROR_CHARS = 2000


def timeout_for(job: Job, overrides: Mapping[str, float]) -> float:
    """The configured override for the type, else the job's ``timeout_ms``, else §17.1."""
    if job.job_type in overrides:
        return float(overrides[job.job_type])
    if job.timeout_ms > 0:
        return job.timeout_ms / 1000
    return float(DEFAULT_TIMEOUTS_S.get(job.job_type, _FALLBACK_TIMEOUT_S))


def is_retryable(exc: BaseException) -> bool:
    """Infrastructure errors and crashes (any non-domain exception) are retryable."""
    if isinstance(exc, ConmanError):
        return exc.code in RETRYABLE_CODES
    return True


def describe_error(exc: BaseException) -> str:
    """The ``error_message`` kept on the job: the domain message, else type and text."""
    text = exc.message if isinstance(exc, ConmanError) else f"{type(exc).__name__}: {exc}"
    return text[:_MAX_ERROR_CHARS] or type(exc).__name__
