"""Authentication (API.md §4): login with throttling, token checks, logout, password
reset, and account creation for the CLI and the bootstrap user."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec

from conman_domain.errors import (
    Conflict,
    InvalidCredentials,
    RateLimited,
    TokenExpired,
    TokenInvalid,
    Unauthorized,
)
from conman_domain.model import LoginThrottle, PasswordResetToken, RevokedToken, User
from conman_domain.model.notifications import NotificationEvent
from conman_domain.notifications import TemplateData
from conman_domain.ports.security import AccessClaims, IssuedToken
from conman_domain.ratelimit import login_retry_after, register_login_failure
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.identity import (
    IdentityDeps,
    check_password_policy,
    hash_link_token,
    normalize_email,
    validate_name,
)
from conman_domain.usecases.outbox import queue_mail

__all__ = [
    "RESET_TOKEN_LIFETIME",
    "AuthService",
    "SessionToken",
    "UserSummary",
]

RESET_TOKEN_LIFETIME = timedelta(hours=1)
_TIMING_DUMMY = "conman-timing-dummy-password"


class UserSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    email: str
    name: str


class SessionToken(msgspec.Struct, frozen=True, kw_only=True):
    """The answer of login and accept-invite."""

    token: str
    expires_at: datetime
    user: UserSummary


def summary(user: User) -> UserSummary:
    return UserSummary(id=user.id, email=user.email, name=user.name)


def _whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


class AuthService:
    """Every account action of API.md §4. ``on_auth_failure`` feeds the metric."""

    def __init__(self, deps: IdentityDeps, on_auth_failure: Callable[[], None] | None = None):
        self._d = deps
        self._on_failure = on_auth_failure
        self._dummy_hash: str | None = None

    # -- accounts -----------------------------------------------------------------

    def create_user(self, email: str, name: str, password: str, actor: Actor) -> User:
        """A new account (CLI, bootstrap, accept-invite). Taken email → ``Conflict``."""
        email = normalize_email(email)
        validate_name(name)
        check_password_policy(password)
        if self._d.repos.users.find_one({"email": email}) is not None:
            raise Conflict(f"a user with email {email} already exists")
        now = self._d.clock.now()
        user = User(
            id=self._d.ids.new_id(),
            created_at=now,
            updated_at=now,
            email=email,
            name=name,
            password_hash=self._d.hasher.hash(password),
            password_changed_at=now,
        )
        return self._d.repos.users.insert(user)

    def issue(self, user: User) -> SessionToken:
        issued: IssuedToken = self._d.tokens.issue_access(user.id, user.email, self._d.clock.now())
        return SessionToken(token=issued.token, expires_at=issued.expires_at, user=summary(user))

    # -- login / token checks / logout ------------------------------------------------

    def login(self, email: str, password: str, actor: Actor) -> SessionToken:
        """401 ``invalid_credentials`` alike for unknown email and wrong password; 429 while
        the email is locked (without checking the password)."""
        email = email.strip().lower()
        now = self._d.clock.now()
        throttles = self._d.repos.login_throttles
        record = throttles.find_one({"email": email})
        retry = login_retry_after(record, now)
        if retry is not None:
            raise RateLimited(retry)
        user = self._d.repos.users.find_one({"email": email})
        if user is None:
            self._d.hasher.verify(self._dummy(), password)  # similar timing
            ok = False
        else:
            ok = self._d.hasher.verify(user.password_hash, password)
        if not ok or user is None:
            self._register_failure(record, email, now)
            self._d.audit.record(
                actor,
                "user.login_failed",
                app_id=None,
                entity_id=user.id if user else None,
                after={"email": email},
            )
            if self._on_failure is not None:
                self._on_failure()
            raise InvalidCredentials("invalid email or password")
        if record is not None:
            throttles.delete(record.id)
        self._d.audit.record(
            Actor(user_id=user.id, context=actor.context),
            "user.logged_in",
            app_id=None,
            entity_id=user.id,
        )
        return self.issue(user)

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._d.hasher.hash(_TIMING_DUMMY)
        return self._dummy_hash

    def _register_failure(self, record: LoginThrottle | None, email: str, now: datetime) -> None:
        state = register_login_failure(record, now)
        changes = {
            "failure_count": state.failure_count,
            "window_started_at": state.window_started_at,
            "locked_until": state.locked_until,
        }
        repo = self._d.repos.login_throttles
        try:
            if record is None:
                repo.insert(
                    LoginThrottle(
                        id=self._d.ids.new_id(),
                        created_at=now,
                        updated_at=now,
                        email=email,
                        **changes,  # type: ignore[arg-type]
                    )
                )
            else:
                repo.set_fields(record.id, record.version, changes)
        except Conflict:
            pass  # a concurrent failure for the same email was recorded instead

    def authenticate(self, token: str) -> tuple[User, AccessClaims]:
        """The user of a valid access token (API.md §4.1), else ``Unauthorized``."""
        now = self._d.clock.now()
        claims = self._d.tokens.verify_access(token, now)
        user = self._d.repos.users.find_one({"id": claims.sub})
        if user is None:
            raise Unauthorized("invalid token")
        if claims.iat < _whole_seconds(user.password_changed_at):
            raise Unauthorized("token issued before the last password change")
        if self._d.repos.revoked_tokens.find_one({"jti": claims.jti}) is not None:
            raise Unauthorized("token has been revoked")
        return user, claims

    def logout(self, user: User, claims: AccessClaims, actor: Actor) -> None:
        now = self._d.clock.now()
        revoked = RevokedToken(
            id=self._d.ids.new_id(),
            created_at=now,
            jti=claims.jti,
            user_id=user.id,
            expires_at=claims.exp,
        )
        with contextlib.suppress(Conflict):  # already revoked by a concurrent logout
            self._d.repos.revoked_tokens.insert(revoked)
        self._d.audit.record(actor, "user.logged_out", app_id=None, entity_id=user.id)

    # -- password reset ---------------------------------------------------------------

    def forgot_password(self, email: str, actor: Actor) -> None:
        """Always returns; for an existing account retire its unused tokens, store a new
        one and queue the reset mail (the token travels only in that mail)."""
        email = normalize_email(email)
        user = self._d.repos.users.find_one({"email": email})
        if user is None:
            return
        now = self._d.clock.now()
        tokens = self._d.repos.password_reset_tokens
        for old in tokens.all({"user_id": user.id, "used_at": None}):
            with contextlib.suppress(Conflict):
                tokens.set_fields(old.id, old.version, {"used_at": now})
        plaintext = self._d.ids.token(32)
        tokens.insert(
            PasswordResetToken(
                id=self._d.ids.new_id(),
                created_at=now,
                updated_at=now,
                user_id=user.id,
                token_hash=hash_link_token(plaintext),
                expires_at=now + RESET_TOKEN_LIFETIME,
            )
        )
        link = f"{self._d.config.public_url.rstrip('/')}/reset-password?token={plaintext}"
        queue_mail(
            self._d.repos.notification_outbox,
            self._d.ids,
            self._d.clock,
            data=TemplateData(event_type=NotificationEvent.PASSWORD_RESET, link_url=link),
            to_email=user.email,
            recipient_user_id=user.id,
            app_id=None,
        )
        self._d.audit.record(actor, "user.password_reset_requested", app_id=None, entity_id=user.id)

    def reset_password(self, token: str, new_password: str, actor: Actor) -> None:
        # The policy needs no loaded data, so it is body validation (API.md §1.4 step 9)
        # and runs before the token lookup (step 10).
        check_password_policy(new_password, "new_password")
        tokens = self._d.repos.password_reset_tokens
        record = tokens.find_one({"token_hash": hash_link_token(token)})
        if record is None or record.used_at is not None:
            raise TokenInvalid("reset token is unknown or already used")
        now = self._d.clock.now()
        if now >= record.expires_at:
            raise TokenExpired("reset token has expired")
        try:
            tokens.set_fields(record.id, record.version, {"used_at": now})
        except Conflict as exc:
            raise TokenInvalid("reset token is unknown or already used") from exc
        user = self._d.repos.users.get(record.user_id)
        self.set_password(user, new_password, now)
        self._d.audit.record(
            Actor(user_id=user.id, context=actor.context),
            "user.password_changed",
            app_id=None,
            entity_id=user.id,
        )

    def set_password(self, user: User, password: str, now: datetime) -> None:
        self._d.repos.users.set_fields(
            user.id,
            user.version,
            {"password_hash": self._d.hasher.hash(password), "password_changed_at": now},
        )
