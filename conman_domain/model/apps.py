"""Apps, their settings, memberships and invites (DOMAIN.md §2, §3, §4; API.md §2)."""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec

from conman_domain.model.base import MutableEntity, Value

__all__ = [
    "DEFAULT_BLOCKED_PATHS",
    "App",
    "AppSettings",
    "ApprovalPolicy",
    "BaselineMode",
    "CommitMode",
    "GateConfig",
    "Invite",
    "Membership",
    "Role",
    "ValidationGates",
]

DEFAULT_BLOCKED_PATHS: tuple[str, ...] = (".git/**", ".gitignore", ".github/**")


class Role(enum.StrEnum):
    """Per-app role, ordered user < reviewer < config_manager < app_admin (DOMAIN.md §2.1)."""

    USER = "user"
    REVIEWER = "reviewer"
    CONFIG_MANAGER = "config_manager"
    APP_ADMIN = "app_admin"

    @property
    def rank(self) -> int:
        """0 for user up to 3 for app_admin."""
        return _ROLE_RANK[self]

    def at_least(self, other: Role) -> bool:
        """True when this role passes a check that requires ``other``."""
        return self.rank >= other.rank

    # Comparisons follow the role order, not the alphabetical order of the values.
    def __lt__(self, other: str) -> bool:
        return self.rank < Role(other).rank

    def __le__(self, other: str) -> bool:
        return self.rank <= Role(other).rank

    def __gt__(self, other: str) -> bool:
        return self.rank > Role(other).rank

    def __ge__(self, other: str) -> bool:
        return self.rank >= Role(other).rank


_ROLE_RANK = {Role.USER: 0, Role.REVIEWER: 1, Role.CONFIG_MANAGER: 2, Role.APP_ADMIN: 3}


class CommitMode(enum.StrEnum):
    SUBMIT_COMMIT = "submit_commit"
    MANUAL_CHECKPOINT = "manual_checkpoint"


class BaselineMode(enum.StrEnum):
    CANONICAL_ENV_RELEASE = "canonical_env_release"
    INTEGRATION_HEAD = "integration_head"


class ApprovalPolicy(enum.StrEnum):
    STRICTER_TWO_APPROVALS = "stricter_two_approvals"
    SAME_AS_CHANGESET = "same_as_changeset"


class GateConfig(Value, frozen=True, kw_only=True):
    """A command with its timeout; ``command = None`` means the built-in validator."""

    command: str | None = None
    timeout_seconds: int = 600


class ValidationGates(Value, frozen=True, kw_only=True):
    submit: GateConfig = msgspec.field(default_factory=GateConfig)
    release: GateConfig = msgspec.field(default_factory=GateConfig)
    deploy: GateConfig = msgspec.field(default_factory=GateConfig)


class AppSettings(Value, frozen=True, kw_only=True):
    """Every app setting of DOMAIN.md §4.1 with its default (``integration_branch`` is on App)."""

    baseline_mode: BaselineMode = BaselineMode.CANONICAL_ENV_RELEASE
    canonical_env_id: str | None = None
    commit_mode_default: CommitMode = CommitMode.SUBMIT_COMMIT
    blocked_paths: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_BLOCKED_PATHS))
    file_size_limit_bytes: int = 5_242_880
    required_approvals: int = 1
    runtime_profile_approval_policy: ApprovalPolicy = ApprovalPolicy.STRICTER_TWO_APPROVALS
    validation_gates: ValidationGates = msgspec.field(default_factory=ValidationGates)
    deploy_command: GateConfig = msgspec.field(default_factory=GateConfig)
    temp_url_domain: str | None = None
    temp_env_ttl_hours: int = 24
    temp_env_grace_hours: int = 1
    default_temp_base_profile_id: str | None = None


class App(MutableEntity, kw_only=True):
    """An app: one git repository plus its settings. ``my_role`` is computed per caller."""

    name: str
    repo_path: str
    integration_branch: str = "main"
    settings: AppSettings = msgspec.field(default_factory=AppSettings)
    defaults_profile_id: str | None = None
    created_by: str


class Membership(MutableEntity, kw_only=True):
    """A user's role in an app. ``joined_at`` is ``created_at``; ``commit_mode`` None = default."""

    app_id: str
    user_id: str
    role: Role
    commit_mode: CommitMode | None = None


class Invite(MutableEntity, kw_only=True):
    """An invitation; ``pending`` stays true until accepted (DOMAIN.md §20)."""

    app_id: str
    email: str
    role: Role
    invited_by: str
    expires_at: datetime
    accepted_at: datetime | None = None
    token_hash: str
    pending: bool = True
