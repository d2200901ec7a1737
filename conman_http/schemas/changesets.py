"""Request bodies of the changeset, review, comment and profile-override routes
(API.md §9), strict msgspec structs; absent optional fields are ``UNSET``."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from conman_domain.model import ReviewDecision
from conman_domain.model.overrides import DatabaseOverride, DataStrategyOverride
from conman_domain.model.profiles import ProvisioningMode, SeedMode, TypedValue, ValueType
from conman_domain.usecases.override_input import KEEP, OverrideInput, SecretInput

__all__ = [
    "CreateChangesetBody",
    "CreateCommentBody",
    "DataStrategyBody",
    "DatabaseBody",
    "KeepBody",
    "OverrideEntryBody",
    "OverridesBody",
    "PatchChangesetBody",
    "PatchCommentBody",
    "ReviewBody",
    "TypedValueBody",
    "unset_to_none",
]


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


def unset_to_none(value: Any) -> Any:
    """``UNSET`` ("not provided") as ``None`` for the use cases."""
    return None if value is UNSET else value


class CreateChangesetBody(_Body):
    workspace_id: str
    title: str
    description: str | UnsetType = UNSET


class PatchChangesetBody(_Body):
    title: str | UnsetType = UNSET
    description: str | UnsetType = UNSET


class ReviewBody(_Body):
    decision: ReviewDecision
    comment: str | UnsetType = UNSET


class CreateCommentBody(_Body):
    body: str
    file_path: str | UnsetType = UNSET
    line_number: int | UnsetType = UNSET
    parent_comment_id: str | UnsetType = UNSET


class PatchCommentBody(_Body):
    body: str | UnsetType = UNSET
    resolved: bool | UnsetType = UNSET


class TypedValueBody(_Body):
    type: ValueType
    value: Any


class KeepBody(_Body):
    keep: Literal[True]


class DatabaseBody(_Body):
    connection_ref: str | UnsetType | None = UNSET
    provisioning_mode: ProvisioningMode | UnsetType = UNSET
    base_profile_id: str | UnsetType | None = UNSET


class DataStrategyBody(_Body):
    seed_mode: SeedMode | UnsetType = UNSET
    seed_source_ref: str | UnsetType | None = UNSET


class OverrideEntryBody(_Body):
    target_environment_id: str
    env_vars: dict[str, TypedValueBody | None] | UnsetType = UNSET
    secrets: dict[str, str | KeepBody | None] | UnsetType = UNSET
    base_url: str | UnsetType = UNSET
    database: DatabaseBody | UnsetType = UNSET
    data_strategy: DataStrategyBody | UnsetType = UNSET

    def to_input(self) -> OverrideInput:
        env_vars = {} if isinstance(self.env_vars, UnsetType) else self.env_vars
        secrets = {} if isinstance(self.secrets, UnsetType) else self.secrets
        db = DatabaseBody() if isinstance(self.database, UnsetType) else self.database
        ds = DataStrategyBody() if isinstance(self.data_strategy, UnsetType) else self.data_strategy
        secret_inputs: dict[str, SecretInput] = {
            k: KEEP if isinstance(v, KeepBody) else v for k, v in secrets.items()
        }
        return OverrideInput(
            target_environment_id=self.target_environment_id,
            env_vars={
                k: None if v is None else TypedValue(type=v.type, value=v.value)
                for k, v in env_vars.items()
            },
            secrets=secret_inputs,
            base_url=unset_to_none(self.base_url),
            database=DatabaseOverride(
                connection_ref=db.connection_ref,
                provisioning_mode=db.provisioning_mode,
                base_profile_id=db.base_profile_id,
            ),
            data_strategy=DataStrategyOverride(
                seed_mode=ds.seed_mode, seed_source_ref=ds.seed_source_ref
            ),
        )


class OverridesBody(_Body):
    overrides: list[OverrideEntryBody]
