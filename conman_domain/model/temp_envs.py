"""Temporary environments (DOMAIN.md §16; API.md §2)."""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec

from conman_domain.model.base import MutableEntity
from conman_domain.model.profiles import TypedValue

__all__ = ["LIVE_TEMP_ENV_STATES", "TempEnvKind", "TempEnvState", "TempEnvironment"]


class TempEnvKind(enum.StrEnum):
    WORKSPACE = "workspace"
    CHANGESET = "changeset"


class TempEnvState(enum.StrEnum):
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    DELETED = "deleted"


LIVE_TEMP_ENV_STATES: frozenset[TempEnvState] = frozenset(
    {TempEnvState.PROVISIONING, TempEnvState.ACTIVE, TempEnvState.EXPIRING}
)


class TempEnvironment(MutableEntity, kw_only=True):
    """A temp env. ``source_key`` is ``ws:<id>`` or ``cs:<id>``; ``live`` mirrors the state.
    ``env_var_overrides`` keeps the request's overrides for provisioning (not in the API
    shape)."""

    app_id: str
    kind: TempEnvKind
    workspace_id: str | None = None
    changeset_id: str | None = None
    base_runtime_profile_id: str
    runtime_profile_id: str | None = None
    db_name: str
    base_url: str
    snapshot_branch: str
    state: TempEnvState = TempEnvState.PROVISIONING
    last_activity_at: datetime | None = None
    expires_at: datetime | None = None
    grace_until: datetime | None = None
    expiry_warning_sent: bool = False
    provision_job_id: str | None = None
    created_by: str
    deleted_at: datetime | None = None
    cleaned_up_at: datetime | None = None
    source_key: str
    live: bool = True
    db_retained: bool = False
    env_var_overrides: dict[str, TypedValue | None] = msgspec.field(default_factory=dict)
