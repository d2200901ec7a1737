"""Request bodies for auth, me, apps, settings, environments, members and invites.

Separate from the domain structs: these are the wire shapes of API.md §4-§6, all with
``forbid_unknown_fields=True``; absent optional fields are ``UNSET`` ("not provided").
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from conman_domain.model import ApprovalPolicy, BaselineMode, CommitMode, Role

__all__ = [
    "AcceptInviteBody",
    "CommitModeBody",
    "CreateAppBody",
    "CreateInviteBody",
    "EnvironmentEntryBody",
    "EnvironmentsBody",
    "ForgotPasswordBody",
    "GatePatch",
    "GatesPatch",
    "LoginBody",
    "NoBody",
    "PreferencesBody",
    "ResetPasswordBody",
    "RoleBody",
    "SettingsPatch",
]

NonEmpty = Annotated[str, Meta(min_length=1)]
ObjectId = Annotated[str, Meta(pattern="^[0-9a-f]{24}$")]
EnvId = Annotated[str, Meta(pattern="^([0-9a-f]{24}|new)$")]


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class NoBody(_Body):
    """Routes documented as "no body" accept only ``{}``."""


class LoginBody(_Body):
    email: NonEmpty
    password: NonEmpty


class ForgotPasswordBody(_Body):
    email: str


class ResetPasswordBody(_Body):
    token: NonEmpty
    new_password: str


class AcceptInviteBody(_Body):
    token: NonEmpty
    password: NonEmpty
    name: str | UnsetType = UNSET


class PreferencesBody(_Body):
    email_enabled: bool


class CreateAppBody(_Body):
    name: str
    repo_path: str
    integration_branch: str = "main"


class GatePatch(_Body):
    command: str | UnsetType | None = UNSET
    timeout_seconds: int | UnsetType = UNSET


class GatesPatch(_Body):
    submit: GatePatch | UnsetType = UNSET
    release: GatePatch | UnsetType = UNSET
    deploy: GatePatch | UnsetType = UNSET


class SettingsPatch(_Body):
    """Every editable setting of DOMAIN.md §4.1; ``integration_branch`` only to say 400."""

    integration_branch: Any = UNSET
    baseline_mode: BaselineMode | UnsetType = UNSET
    canonical_env_id: ObjectId | UnsetType = UNSET
    commit_mode_default: CommitMode | UnsetType = UNSET
    blocked_paths: list[str] | UnsetType = UNSET
    file_size_limit_bytes: int | UnsetType = UNSET
    required_approvals: int | UnsetType = UNSET
    runtime_profile_approval_policy: ApprovalPolicy | UnsetType = UNSET
    validation_gates: GatesPatch | UnsetType = UNSET
    deploy_command: GatePatch | UnsetType = UNSET
    temp_url_domain: str | UnsetType | None = UNSET
    temp_env_ttl_hours: int | UnsetType = UNSET
    temp_env_grace_hours: int | UnsetType = UNSET
    default_temp_base_profile_id: ObjectId | UnsetType | None = UNSET


class EnvironmentEntryBody(_Body):
    id: EnvId
    name: str
    position: int
    is_canonical: bool
    runtime_profile_id: ObjectId | UnsetType = UNSET


class EnvironmentsBody(_Body):
    environments: list[EnvironmentEntryBody]


class CommitModeBody(_Body):
    commit_mode: CommitMode | None
    role: Any = UNSET


class RoleBody(_Body):
    role: Role


class CreateInviteBody(_Body):
    email: str
    role: Role
