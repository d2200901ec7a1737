"""Runtime profiles, their revisions and value objects (DOMAIN.md §15; API.md §2)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec

from conman_domain.model.base import Entity, MutableEntity, Value

__all__ = [
    "ChangeKind",
    "DataStrategy",
    "DatabaseSettings",
    "Lifecycle",
    "MigrationSettings",
    "ProfileKind",
    "ProfileRevision",
    "ProfileSnapshot",
    "ProvisioningMode",
    "RuntimeProfile",
    "SecretRecord",
    "SeedMode",
    "TypedValue",
    "ValueType",
]


class ValueType(enum.StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    JSON = "json"


class TypedValue(Value, frozen=True, kw_only=True):
    """An env var value with its declared type (rules: ``rules.env_vars``)."""

    type: ValueType
    value: Any = None


class SecretRecord(Value, frozen=True, kw_only=True):
    """An envelope-encrypted secret (DOMAIN.md §15.4); binary fields are base64."""

    v: int = 1
    kid: str
    wrapped_dek: str
    nonce: str
    ciphertext: str


class ProfileKind(enum.StrEnum):
    APP_DEFAULTS = "app_defaults"
    PERSISTENT_ENV = "persistent_env"
    TEMP_WORKSPACE = "temp_workspace"
    TEMP_CHANGESET = "temp_changeset"


class ProvisioningMode(enum.StrEnum):
    EXISTING = "existing"
    CLONE_FROM_BASE = "clone_from_base"
    SNAPSHOT_RESTORE = "snapshot_restore"
    EMPTY = "empty"


class SeedMode(enum.StrEnum):
    NONE = "none"
    BASELINE = "baseline"
    SNAPSHOT = "snapshot"


class DatabaseSettings(Value, frozen=True, kw_only=True):
    engine: str = "mongodb"
    connection_ref: str | None = None
    provisioning_mode: ProvisioningMode = ProvisioningMode.EXISTING
    base_profile_id: str | None = None


class MigrationSettings(Value, frozen=True, kw_only=True):
    repo_paths: list[str] = msgspec.field(default_factory=list)
    command_ref: str | None = None
    applied_state_ref: str | None = None


class DataStrategy(Value, frozen=True, kw_only=True):
    seed_mode: SeedMode = SeedMode.NONE
    seed_source_ref: str | None = None


class Lifecycle(Value, frozen=True, kw_only=True):
    ttl_idle_hours: int | None = None
    grace_hours: int | None = None
    auto_cleanup: bool = True


class ProfileSnapshot(Value, frozen=True, kw_only=True):
    """Every content field of a profile, secrets as records (DOMAIN.md §15.7)."""

    name: str
    base_url: str | None = None
    env_vars: dict[str, TypedValue] = msgspec.field(default_factory=dict)
    secrets: dict[str, SecretRecord] = msgspec.field(default_factory=dict)
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    migrations: MigrationSettings = msgspec.field(default_factory=MigrationSettings)
    data_strategy: DataStrategy = msgspec.field(default_factory=DataStrategy)
    lifecycle: Lifecycle = msgspec.field(default_factory=Lifecycle)


class RuntimeProfile(MutableEntity, kw_only=True):
    """A layer of runtime configuration. ``secrets_updated_at`` backs the API's per-secret
    ``updated_at`` (the record format itself is fixed by DOMAIN.md §15.4)."""

    app_id: str
    name: str
    kind: ProfileKind
    environment_id: str | None = None
    base_url: str | None = None
    env_vars: dict[str, TypedValue] = msgspec.field(default_factory=dict)
    secrets: dict[str, SecretRecord] = msgspec.field(default_factory=dict)
    secrets_updated_at: dict[str, datetime] = msgspec.field(default_factory=dict)
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    migrations: MigrationSettings = msgspec.field(default_factory=MigrationSettings)
    data_strategy: DataStrategy = msgspec.field(default_factory=DataStrategy)
    lifecycle: Lifecycle = msgspec.field(default_factory=Lifecycle)
    current_revision: int = 0
    current_revision_id: str | None = None
    archived: bool = False
    archived_at: datetime | None = None
    created_by: str | None = None

    def snapshot(self) -> ProfileSnapshot:
        """The content fields as a revision snapshot."""
        return ProfileSnapshot(
            name=self.name,
            base_url=self.base_url,
            env_vars=dict(self.env_vars),
            secrets=dict(self.secrets),
            database=self.database,
            migrations=self.migrations,
            data_strategy=self.data_strategy,
            lifecycle=self.lifecycle,
        )


class ChangeKind(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DIRECT_EDIT = "direct_edit"
    REVERTED = "reverted"
    KEY_ROTATED = "key_rotated"
    RELEASE_OVERRIDES = "release_overrides"
    TEMP_DERIVED = "temp_derived"


class ProfileRevision(Entity, kw_only=True):
    """An append-only revision of a profile's content."""

    app_id: str
    runtime_profile_id: str
    revision_number: int
    change_kind: ChangeKind
    change_note: str | None = None
    source_release_id: str | None = None
    reverted_to_revision: int | None = None
    snapshot: ProfileSnapshot
    created_by: str | None = None
