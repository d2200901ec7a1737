"""What the identity use cases share: their repositories, configuration and rules
(API.md §4.1: email and name rules, password policy; DOMAIN.md §2)."""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

from conman_domain.errors import FieldError, Forbidden, NotFound, Validation
from conman_domain.model import (
    App,
    Deployment,
    Environment,
    Invite,
    LoginThrottle,
    Membership,
    NotificationOutbox,
    NotificationPreference,
    PasswordResetToken,
    ProfileRevision,
    RevokedToken,
    Role,
    RuntimeProfile,
    User,
)
from conman_domain.model.base import Value
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.ids import IdPort
from conman_domain.ports.repos import AuditRepoPort, EntityRepoPort, MutableRepoPort
from conman_domain.ports.security import PasswordHasherPort, TokenPort
from conman_domain.usecases.audit import AuditTrail

__all__ = [
    "IdentityConfig",
    "IdentityDeps",
    "IdentityRepos",
    "check_password_policy",
    "hash_link_token",
    "load_app",
    "load_membership",
    "normalize_email",
    "require_role",
    "user_or_404",
    "validate_name",
]

_EMAIL_SPACE = re.compile(r"\s")
PASSWORD_MIN = 12
PASSWORD_MAX = 128


class IdentityRepos(Protocol):
    """The repositories the identity use cases need (``Repositories`` fits)."""

    @property
    def users(self) -> MutableRepoPort[User]: ...
    @property
    def memberships(self) -> MutableRepoPort[Membership]: ...
    @property
    def invites(self) -> MutableRepoPort[Invite]: ...
    @property
    def password_reset_tokens(self) -> MutableRepoPort[PasswordResetToken]: ...
    @property
    def login_throttles(self) -> MutableRepoPort[LoginThrottle]: ...
    @property
    def notification_preferences(self) -> MutableRepoPort[NotificationPreference]: ...
    @property
    def notification_outbox(self) -> MutableRepoPort[NotificationOutbox]: ...
    @property
    def apps(self) -> MutableRepoPort[App]: ...
    @property
    def environments(self) -> MutableRepoPort[Environment]: ...
    @property
    def runtime_profiles(self) -> MutableRepoPort[RuntimeProfile]: ...
    @property
    def deployments(self) -> MutableRepoPort[Deployment]: ...
    @property
    def profile_revisions(self) -> EntityRepoPort[ProfileRevision]: ...
    @property
    def revoked_tokens(self) -> EntityRepoPort[RevokedToken]: ...
    @property
    def audit(self) -> AuditRepoPort: ...


class IdentityConfig(Value, frozen=True, kw_only=True):
    """Settings of API.md §16 used by the identity use cases."""

    public_url: str = "http://localhost:3000"
    invite_expiry_days: int = 7
    bootstrap_email: str = "admin@localhost"
    gitaly_storage: str = "default"


class IdentityDeps:
    """Everything an identity use case depends on, built once by the container."""

    def __init__(
        self,
        *,
        repos: IdentityRepos,
        clock: ClockPort,
        ids: IdPort,
        hasher: PasswordHasherPort,
        tokens: TokenPort,
        audit: AuditTrail,
        config: IdentityConfig,
    ) -> None:
        self.repos = repos
        self.clock = clock
        self.ids = ids
        self.hasher = hasher
        self.tokens = tokens
        self.audit = audit
        self.config = config


def normalize_email(raw: str, field: str = "email") -> str:
    """Trim and lowercase, then check the rules of API.md §4.1 (400 when broken)."""
    email = raw.strip().lower()
    problem = None
    if not email:
        problem = "is required"
    elif len(email) > 254:
        problem = "must be at most 254 characters"
    elif email.count("@") != 1 or _EMAIL_SPACE.search(email):
        problem = "must be a valid email address"
    else:
        local, domain = email.split("@")
        dotted = "." in domain and not domain.startswith(".") and not domain.endswith(".")
        if not local or not ((dotted and ".." not in domain) or domain == "localhost"):
            problem = "must be a valid email address"
    if problem:
        raise Validation(f"{field} {problem}", [FieldError(field, problem)])
    return email


def validate_name(name: str, field: str = "name") -> str:
    """A user name is 1..128 code points."""
    if not 1 <= len(name) <= 128:
        raise Validation(f"{field} must be 1..128 characters", [FieldError(field, "1..128")])
    return name


def check_password_policy(password: str, field: str = "password") -> str:
    """12..128 code points (API.md §4.1); the password itself never appears in the error."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        message = f"must be {PASSWORD_MIN}..{PASSWORD_MAX} characters"
        raise Validation(f"{field} {message}", [FieldError(field, message)])
    return password


def hash_link_token(token: str) -> str:
    """The stored ``token_hash`` of an invite or reset token: SHA-256 hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def load_app(repos: IdentityRepos, app_id: str) -> App:
    """The app, or 404 ``not found: app <id>``."""
    return repos.apps.get(app_id)


def load_membership(repos: IdentityRepos, app_id: str, user_id: str) -> Membership | None:
    """The user's membership in the app (read from the store on every request)."""
    return repos.memberships.find_one({"app_id": app_id, "user_id": user_id})


def require_role(membership: Membership | None, minimum: Role) -> Membership:
    """403 unless the membership exists and has at least ``minimum``."""
    if membership is None:
        raise Forbidden("not a member of this app")
    if not Role(membership.role).at_least(minimum):
        raise Forbidden(f"requires role {minimum.value}")
    return membership


def user_or_404(repos: IdentityRepos, user_id: str) -> User:
    user = repos.users.find_one({"id": user_id})
    if user is None:
        raise NotFound("user", user_id)
    return user
