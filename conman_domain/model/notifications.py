"""Notification preferences and the outbox (DOMAIN.md §18)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec

from conman_domain.model.base import MutableEntity

__all__ = ["NotificationEvent", "NotificationOutbox", "NotificationPreference", "OutboxState"]


class NotificationEvent(enum.StrEnum):
    CHANGESET_SUBMITTED = "changeset_submitted"
    REVIEW_REQUESTED = "review_requested"
    CHANGESET_APPROVED = "changeset_approved"
    CHANGES_REQUESTED = "changes_requested"
    CHANGESET_REJECTED = "changeset_rejected"
    CHANGESET_QUEUED = "changeset_queued"
    CHANGESET_CONFLICTED = "changeset_conflicted"
    CHANGESET_NEEDS_REVALIDATION = "changeset_needs_revalidation"
    RELEASE_CREATED = "release_created"
    RELEASE_PUBLISHED = "release_published"
    DEPLOYMENT_STARTED = "deployment_started"
    DEPLOYMENT_SUCCEEDED = "deployment_succeeded"
    DEPLOYMENT_FAILED = "deployment_failed"
    DEPLOYMENT_BLOCKED_BY_DRIFT = "deployment_blocked_by_drift"
    RUNTIME_PROFILE_CHANGED = "runtime_profile_changed"
    TEMP_ENV_EXPIRY_WARNING = "temp_env_expiry_warning"
    TEMP_ENV_GRACE_STARTED = "temp_env_grace_started"
    TEMP_ENV_EXPIRED = "temp_env_expired"
    TEMP_ENV_DELETED = "temp_env_deleted"
    TEMP_ENV_PROVISION_FAILED = "temp_env_provision_failed"
    INVITE = "invite"
    PASSWORD_RESET = "password_reset"


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class NotificationPreference(MutableEntity, kw_only=True):
    user_id: str
    email_enabled: bool = True


class NotificationOutbox(MutableEntity, kw_only=True):
    """One mail to one recipient; drained by the job runner."""

    app_id: str | None = None
    event_type: NotificationEvent
    recipient_user_id: str | None = None
    to_email: str
    subject: str
    template_name: str
    template_data: dict[str, Any] = msgspec.field(default_factory=dict)
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = None
    sent_at: datetime | None = None
