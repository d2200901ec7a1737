"""Request bodies of the identity routes (strict msgspec structs, API.md §1.1)."""

from conman_http.schemas.identity import (
    AcceptInviteBody,
    CommitModeBody,
    CreateAppBody,
    CreateInviteBody,
    EnvironmentEntryBody,
    EnvironmentsBody,
    ForgotPasswordBody,
    GatePatch,
    GatesPatch,
    LoginBody,
    NoBody,
    PreferencesBody,
    ResetPasswordBody,
    RoleBody,
    SettingsPatch,
)

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
