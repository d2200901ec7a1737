"""Job shapes and helpers: the API views, list filters and new jobs (API.md §2, §14;
DOMAIN.md §17.1)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import msgspec

from conman_domain.errors import FieldError, Validation
from conman_domain.model import Job, JobLog, JobState, JobType, LogLevel
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.ids import IdPort

__all__ = [
    "JOB_ENTITY_TYPES",
    "JOB_MAX_ATTEMPTS",
    "JOB_TIMEOUT_MS",
    "JobFilter",
    "JobLogView",
    "JobView",
    "job_log_view",
    "job_view",
    "new_job",
    "parse_job_filter",
]

JOB_MAX_ATTEMPTS: dict[JobType, int] = {
    JobType.MSUITE_SUBMIT: 3,
    JobType.MSUITE_MERGE: 3,
    JobType.MSUITE_DEPLOY: 1,
    JobType.REVALIDATE_QUEUED_CHANGESET: 3,
    JobType.RELEASE_ASSEMBLE: 2,
    JobType.DEPLOY_RELEASE: 1,
    JobType.RUNTIME_PROFILE_DRIFT_CHECK: 2,
    JobType.TEMP_ENV_PROVISION: 2,
    JobType.TEMP_ENV_EXPIRE: 3,
    JobType.TEMP_ENV_CLEANUP: 3,
}
_MIN = 60_000
JOB_TIMEOUT_MS: dict[JobType, int] = {
    JobType.MSUITE_SUBMIT: 15 * _MIN,
    JobType.MSUITE_MERGE: 60 * _MIN,
    JobType.MSUITE_DEPLOY: 15 * _MIN,
    JobType.REVALIDATE_QUEUED_CHANGESET: 15 * _MIN,
    JobType.RELEASE_ASSEMBLE: 10 * _MIN,
    JobType.DEPLOY_RELEASE: 60 * _MIN,
    JobType.RUNTIME_PROFILE_DRIFT_CHECK: 15 * _MIN,
    JobType.TEMP_ENV_PROVISION: 30 * _MIN,
    JobType.TEMP_ENV_EXPIRE: _MIN,
    JobType.TEMP_ENV_CLEANUP: 10 * _MIN,
}


JOB_ENTITY_TYPES = frozenset(
    {"changeset", "release", "deployment", "environment", "temp_environment"}
)
"""The entity types of DOMAIN.md §17.1."""
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")


class JobView(msgspec.Struct, kw_only=True):
    """API shape Job."""

    id: str
    app_id: str | None
    job_type: JobType
    state: JobState
    entity_type: str | None
    entity_id: str | None
    payload: dict[str, Any]
    result: dict[str, Any] | None
    error_message: str | None
    attempts: int
    max_attempts: int
    timeout_ms: int
    run_after: datetime
    locked_until: datetime | None
    cancel_requested: bool
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None


class JobLogView(msgspec.Struct, kw_only=True):
    """API shape JobLog."""

    id: str
    job_id: str
    seq: int
    level: LogLevel
    message: str
    data: dict[str, Any] | None
    timestamp: datetime


def job_view(job: Job) -> JobView:
    fields = {f: getattr(job, f) for f in JobView.__struct_fields__}
    return JobView(**fields)


def job_log_view(line: JobLog) -> JobLogView:
    return JobLogView(**{f: getattr(line, f) for f in JobLogView.__struct_fields__})


class JobFilter(msgspec.Struct, frozen=True, kw_only=True):
    types: tuple[JobType, ...] = ()
    states: tuple[JobState, ...] = ()
    entity_type: str | None = None
    entity_id: str | None = None


def _enum_list(field: str, text: str | None, kind: type[JobType] | type[JobState]) -> list[Any]:
    if text is None:
        return []
    values = []
    for part in text.split(","):
        try:
            values.append(kind(part))
        except ValueError:
            allowed = ", ".join(v.value for v in kind)
            message = f"unknown value {part!r} (allowed: {allowed})"
            raise Validation(f"{field}: {message}", [FieldError(field, message)]) from None
    return values


def parse_job_filter(
    type_text: str | None,
    state_text: str | None,
    entity_type: str | None = None,
    entity_id: str | None = None,
) -> JobFilter:
    """``type`` and ``state`` take one value or a comma list; an unknown value, an
    unknown ``entity_type`` or a malformed ``entity_id`` → 400."""
    if entity_type is not None and entity_type not in JOB_ENTITY_TYPES:
        allowed = ", ".join(sorted(JOB_ENTITY_TYPES))
        message = f"unknown value {entity_type!r} (allowed: {allowed})"
        raise Validation(f"entity_type: {message}", [FieldError("entity_type", message)])
    if entity_id is not None and not _OBJECT_ID.fullmatch(entity_id):
        message = "must be 24 lowercase hex characters"
        raise Validation(f"entity_id: {message}", [FieldError("entity_id", message)])
    return JobFilter(
        types=tuple(_enum_list("type", type_text, JobType)),
        states=tuple(_enum_list("state", state_text, JobState)),
        entity_type=entity_type,
        entity_id=entity_id,
    )


def new_job(
    ids: IdPort,
    clock: ClockPort,
    *,
    app_id: str | None,
    job_type: JobType,
    entity_type: str | None,
    entity_id: str | None,
    payload: dict[str, Any],
    created_by: str | None,
) -> Job:
    """A queued job with the §17.1 attempts and timeout of its type."""
    now = clock.now()
    return Job(
        id=ids.new_id(),
        created_at=now,
        updated_at=now,
        app_id=app_id,
        job_type=job_type,
        entity_type=entity_type,
        entity_id=entity_id,
        payload=dict(payload),
        max_attempts=JOB_MAX_ATTEMPTS[job_type],
        timeout_ms=JOB_TIMEOUT_MS[job_type],
        run_after=now,
        created_by=created_by,
    )
