"""Jobs, their logs and runner heartbeats (DOMAIN.md §17; API.md §2)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec

from conman_domain.model.base import Entity, MutableEntity

__all__ = ["Job", "JobLog", "JobRunnerHeartbeat", "JobState", "JobType", "LogLevel"]


class JobType(enum.StrEnum):
    MSUITE_SUBMIT = "msuite_submit"
    MSUITE_MERGE = "msuite_merge"
    MSUITE_DEPLOY = "msuite_deploy"
    REVALIDATE_QUEUED_CHANGESET = "revalidate_queued_changeset"
    RELEASE_ASSEMBLE = "release_assemble"
    DEPLOY_RELEASE = "deploy_release"
    RUNTIME_PROFILE_DRIFT_CHECK = "runtime_profile_drift_check"
    TEMP_ENV_PROVISION = "temp_env_provision"
    TEMP_ENV_EXPIRE = "temp_env_expire"
    TEMP_ENV_CLEANUP = "temp_env_cleanup"


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class LogLevel(enum.StrEnum):
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


class Job(MutableEntity, kw_only=True):
    """A unit of asynchronous work; payloads carry only ids and shas."""

    app_id: str | None = None
    job_type: JobType
    state: JobState = JobState.QUEUED
    entity_type: str | None = None
    entity_id: str | None = None
    payload: dict[str, Any] = msgspec.field(default_factory=dict)
    result: dict[str, Any] | None = None
    error_message: str | None = None
    attempts: int = 0
    max_attempts: int = 1
    timeout_ms: int
    run_after: datetime
    locked_until: datetime | None = None
    cancel_requested: bool = False
    created_by: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    worker_id: str | None = None


class JobLog(Entity, kw_only=True):
    job_id: str
    seq: int
    level: LogLevel
    message: str
    data: dict[str, Any] | None = None
    timestamp: datetime


class JobRunnerHeartbeat(Entity, kw_only=True):
    """``id`` is the runner id (not an ObjectId)."""

    last_beat_at: datetime
    host: str
    pid: int
