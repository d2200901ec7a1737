"""Password hashing and signed tokens (API.md §4.1, §12)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import msgspec

__all__ = [
    "AccessClaims",
    "ApprovalClaims",
    "IssuedToken",
    "PasswordHasherPort",
    "TokenPort",
]


class AccessClaims(msgspec.Struct, frozen=True, kw_only=True):
    """Verified claims of an access token. Roles are never carried (DOMAIN.md §2.3)."""

    sub: str
    email: str
    iat: datetime
    exp: datetime
    jti: str


class ApprovalClaims(msgspec.Struct, frozen=True, kw_only=True):
    """Verified claims of a deploy-approval token (``typ = "deploy_approval"``)."""

    jti: str
    sub: str
    app_id: str
    environment_id: str
    release_id: str
    skip_stage: bool
    role: str
    iat: datetime
    exp: datetime


class IssuedToken(msgspec.Struct, frozen=True, kw_only=True):
    """A freshly signed token with its expiry and id."""

    token: str
    jti: str
    expires_at: datetime


class PasswordHasherPort(Protocol):
    """One-way password hashing (Argon2id PHC strings in production)."""

    def hash(self, password: str) -> str:
        """Return a salted hash of ``password`` (a fresh random salt every call). Never fails
        for valid input; the policy (length) is checked by the caller."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """True when ``password`` matches ``password_hash``. A wrong password or a malformed
        hash returns False; it never raises for bad input."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """True when ``password_hash`` was made with weaker parameters than the current ones."""
        ...


class TokenPort(Protocol):
    """Signing and verification of access tokens and deploy-approval tokens.

    Approval tokens are signed with a key derived separately from the access-token key, so
    one kind never verifies as the other. Revocation and user checks are the caller's.
    """

    def issue_access(self, user_id: str, email: str, now: datetime) -> IssuedToken:
        """Sign an HS256 access token with ``iat = now``, ``exp = now + expiry`` and a random
        ``jti``."""
        ...

    def verify_access(self, token: str, now: datetime) -> AccessClaims:
        """Return the claims of a valid token. A malformed, badly signed, non-HS256 or
        expired (``exp ≤ now``) token raises ``Unauthorized``."""
        ...

    def issue_approval(
        self,
        *,
        approver_user_id: str,
        role: str,
        app_id: str,
        environment_id: str,
        release_id: str,
        skip_stage: bool,
        now: datetime,
    ) -> IssuedToken:
        """Sign a deploy-approval token (``typ: deploy_approval``, 128-bit hex ``jti``,
        ``exp = now + 900 s``)."""
        ...

    def verify_approval(self, token: str, now: datetime) -> ApprovalClaims:
        """Return the claims of a valid approval token. A bad signature, a wrong ``typ`` or
        an expired token raises ``Validation`` with a message naming the problem. Checks
        against the request (app, environment, release, membership, reuse) are the
        caller's."""
        ...
