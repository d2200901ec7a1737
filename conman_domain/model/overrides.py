"""Changeset profile overrides (DOMAIN.md §15.6, §20).

Partial fields use ``msgspec.UNSET`` for "not overridden", so that ``None`` stays a
real value (for example ``connection_ref = None``). UNSET fields are omitted by
``msgspec.to_builtins`` and restored as UNSET by ``msgspec.convert``.
"""

from __future__ import annotations

import enum

import msgspec
from msgspec import UNSET, UnsetType

from conman_domain.model.base import MutableEntity, Value
from conman_domain.model.profiles import ProvisioningMode, SecretRecord, SeedMode, TypedValue

__all__ = [
    "ChangesetProfileOverride",
    "DataStrategyOverride",
    "DatabaseOverride",
    "OverrideOperation",
    "OverrideSnapshot",
    "SecretOverride",
]


class OverrideOperation(enum.StrEnum):
    SET = "set"
    REMOVE = "remove"


class SecretOverride(Value, frozen=True, kw_only=True):
    """A secret override: ``set`` carries a record encrypted for the target profile."""

    operation: OverrideOperation
    record: SecretRecord | None = None


class DatabaseOverride(Value, frozen=True, kw_only=True):
    connection_ref: str | UnsetType | None = UNSET
    provisioning_mode: ProvisioningMode | UnsetType = UNSET
    base_profile_id: str | UnsetType | None = UNSET

    def fields_set(self) -> list[str]:
        """Names of the overridden fields, in declaration order."""
        return [f for f in self.__struct_fields__ if getattr(self, f) is not UNSET]


class DataStrategyOverride(Value, frozen=True, kw_only=True):
    seed_mode: SeedMode | UnsetType = UNSET
    seed_source_ref: str | UnsetType | None = UNSET

    def fields_set(self) -> list[str]:
        """Names of the overridden fields, in declaration order."""
        return [f for f in self.__struct_fields__ if getattr(self, f) is not UNSET]


class OverrideSnapshot(Value, frozen=True, kw_only=True):
    """The content of one override as frozen into a changeset revision.

    ``env_var_overrides_typed[key] = None`` removes the key; ``base_url = None`` means
    "not overridden".
    """

    target_environment_id: str
    target_profile_id: str
    env_var_overrides_typed: dict[str, TypedValue | None] = msgspec.field(default_factory=dict)
    secret_overrides_encrypted: dict[str, SecretOverride] = msgspec.field(default_factory=dict)
    base_url: str | None = None
    database_overrides: DatabaseOverride = msgspec.field(default_factory=DatabaseOverride)
    data_overrides: DataStrategyOverride = msgspec.field(default_factory=DataStrategyOverride)


class ChangesetProfileOverride(MutableEntity, kw_only=True):
    """One stored override per (changeset, target environment)."""

    app_id: str
    changeset_id: str
    target_environment_id: str
    target_profile_id: str
    env_var_overrides_typed: dict[str, TypedValue | None] = msgspec.field(default_factory=dict)
    secret_overrides_encrypted: dict[str, SecretOverride] = msgspec.field(default_factory=dict)
    base_url: str | None = None
    database_overrides: DatabaseOverride = msgspec.field(default_factory=DatabaseOverride)
    data_overrides: DataStrategyOverride = msgspec.field(default_factory=DataStrategyOverride)
    created_by: str
    updated_by: str

    def snapshot(self) -> OverrideSnapshot:
        """The override's content, for a changeset revision."""
        return OverrideSnapshot(
            target_environment_id=self.target_environment_id,
            target_profile_id=self.target_profile_id,
            env_var_overrides_typed=dict(self.env_var_overrides_typed),
            secret_overrides_encrypted=dict(self.secret_overrides_encrypted),
            base_url=self.base_url,
            database_overrides=self.database_overrides,
            data_overrides=self.data_overrides,
        )
