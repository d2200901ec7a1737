"""Request bodies of the runtime-profile routes (API.md §7), strict msgspec structs;
absent optional fields are ``UNSET``."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from conman_domain.model.profiles import (
    ProfileKind,
    ProvisioningMode,
    SeedMode,
    TypedValue,
    ValueType,
)
from conman_domain.usecases.profile_input import (
    DatabasePatch,
    DataStrategyPatch,
    LifecyclePatch,
    MigrationsPatch,
    ProfilePatch,
)

__all__ = [
    "CreateProfileBody",
    "PatchProfileBody",
    "RevertProfileBody",
]


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class ProfileValueBody(_Body):
    """A TypedValue: ``{"type": "string"|"number"|"boolean"|"json", "value": ...}``."""

    type: ValueType
    value: Any


class DatabasePatchBody(_Body):
    engine: str | UnsetType = UNSET
    connection_ref: str | UnsetType | None = UNSET
    provisioning_mode: ProvisioningMode | UnsetType = UNSET
    base_profile_id: str | UnsetType | None = UNSET


class MigrationsPatchBody(_Body):
    repo_paths: list[str] | UnsetType = UNSET
    command_ref: str | UnsetType | None = UNSET
    applied_state_ref: str | UnsetType | None = UNSET


class DataStrategyPatchBody(_Body):
    seed_mode: SeedMode | UnsetType = UNSET
    seed_source_ref: str | UnsetType | None = UNSET


class LifecyclePatchBody(_Body):
    ttl_idle_hours: int | UnsetType | None = UNSET
    grace_hours: int | UnsetType | None = UNSET
    auto_cleanup: bool | UnsetType = UNSET


def _sub(body: msgspec.Struct | UnsetType, target: type[Any]) -> Any:
    if isinstance(body, UnsetType):
        return UNSET
    return target(**{f: getattr(body, f) for f in body.__struct_fields__})


class PatchProfileBody(_Body):
    """PATCH: every field optional; ``null`` in env_vars/secrets deletes the key."""

    name: str | UnsetType = UNSET
    base_url: str | UnsetType | None = UNSET
    env_vars: dict[str, ProfileValueBody | None] | UnsetType = UNSET
    secrets: dict[str, str | None] | UnsetType = UNSET
    database: DatabasePatchBody | UnsetType = UNSET
    migrations: MigrationsPatchBody | UnsetType = UNSET
    data_strategy: DataStrategyPatchBody | UnsetType = UNSET
    lifecycle: LifecyclePatchBody | UnsetType = UNSET
    change_note: str | UnsetType | None = UNSET

    def to_patch(self) -> ProfilePatch:
        env_vars: dict[str, TypedValue | None] | UnsetType = UNSET
        if not isinstance(self.env_vars, UnsetType):
            env_vars = {
                k: None if v is None else TypedValue(type=v.type, value=v.value)
                for k, v in self.env_vars.items()
            }
        return ProfilePatch(
            name=self.name,
            base_url=self.base_url,
            env_vars=env_vars,
            secrets=self.secrets,
            database=_sub(self.database, DatabasePatch),
            migrations=_sub(self.migrations, MigrationsPatch),
            data_strategy=_sub(self.data_strategy, DataStrategyPatch),
            lifecycle=_sub(self.lifecycle, LifecyclePatch),
            change_note=self.change_note,
        )


class CreateProfileBody(_Body):
    """POST: ``name`` and ``kind`` ("persistent_env") required; secrets as plaintext."""

    name: str
    kind: ProfileKind
    base_url: str | UnsetType | None = UNSET
    env_vars: dict[str, ProfileValueBody] | UnsetType = UNSET
    secrets: dict[str, str] | UnsetType = UNSET
    database: DatabasePatchBody | UnsetType = UNSET
    migrations: MigrationsPatchBody | UnsetType = UNSET
    data_strategy: DataStrategyPatchBody | UnsetType = UNSET
    lifecycle: LifecyclePatchBody | UnsetType = UNSET
    change_note: str | UnsetType | None = UNSET

    def to_patch(self) -> ProfilePatch:
        fields = {f: getattr(self, f) for f in self.__struct_fields__ if f != "kind"}
        return PatchProfileBody(**fields).to_patch()


class RevertProfileBody(_Body):
    revision_number: int
    change_note: str | UnsetType | None = UNSET

    def note(self) -> str | None:
        return None if isinstance(self.change_note, UnsetType) else self.change_note
