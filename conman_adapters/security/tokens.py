"""JWT access and deploy-approval tokens (pyjwt), invite/reset link tokens (API.md §4.1, §12).

Two keys come from the one ``CONMAN_JWT_SECRET``:

- access tokens are HS256 over the secret's UTF-8 bytes;
- deploy-approval tokens are HS256 over HKDF-SHA256(secret, info "conman/deploy-approval"),

so neither kind ever verifies as the other. Time is always the caller's ``now`` (from
``ClockPort``): pyjwt's own wall-clock checks of ``exp``/``iat``/``nbf`` are switched off
and ``exp`` is checked here against ``now``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from conman_domain.errors import Unauthorized, Validation
from conman_domain.ports.security import AccessClaims, ApprovalClaims, IssuedToken, TokenPort

__all__ = [
    "APPROVAL_LIFETIME",
    "APPROVAL_TYP",
    "MIN_SECRET_BYTES",
    "JwtTokens",
    "hash_link_token",
    "new_link_token",
]

ALGORITHM = "HS256"
APPROVAL_TYP = "deploy_approval"
APPROVAL_INFO = b"conman/deploy-approval"
APPROVAL_LIFETIME = timedelta(seconds=900)
MIN_SECRET_BYTES = 32
LINK_TOKEN_BYTES = 32

# pyjwt reads the wall clock for these; we check exp ourselves against the caller's now.
_DECODE_OPTIONS: Any = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_iat": False,
    "verify_nbf": False,
    "verify_aud": False,
    "verify_iss": False,
}


class _AccessWire(msgspec.Struct, forbid_unknown_fields=True):
    sub: str
    email: str
    iat: int
    exp: int
    jti: str


class _ApprovalWire(msgspec.Struct, forbid_unknown_fields=True):
    typ: str
    jti: str
    sub: str
    app_id: str
    environment_id: str
    release_id: str
    skip_stage: bool
    role: str
    iat: int
    exp: int


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def derive_approval_key(secret: bytes) -> bytes:
    """HKDF-SHA256 of the JWT secret with info "conman/deploy-approval" (32 bytes, no salt)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=APPROVAL_INFO).derive(secret)


class JwtTokens(TokenPort):
    """``TokenPort`` over pyjwt. The secret is never logged or put into an error message."""

    def __init__(self, secret: str, *, expiry_hours: int = 24) -> None:
        raw = secret.encode("utf-8")
        if len(raw) < MIN_SECRET_BYTES:
            raise ValueError("CONMAN_JWT_SECRET must be at least 32 bytes in UTF-8")
        if expiry_hours < 1:
            raise ValueError("expiry_hours must be at least 1")
        self._access_key = raw
        self._approval_key = derive_approval_key(raw)
        self._lifetime = timedelta(hours=expiry_hours)

    def __repr__(self) -> str:
        return f"JwtTokens(expiry_hours={self._lifetime // timedelta(hours=1)})"

    def issue_access(self, user_id: str, email: str, now: datetime) -> IssuedToken:
        """Sign an HS256 access token: ``sub, email, iat, exp = iat + expiry, jti``.

        ``iat`` is ``now`` truncated to whole seconds (the JWT NumericDate), and
        ``expires_at`` is exactly the ``exp`` claim.
        """
        iat = _epoch(now)
        exp = iat + int(self._lifetime.total_seconds())
        jti = secrets.token_hex(16)
        claims = {"sub": user_id, "email": email, "iat": iat, "exp": exp, "jti": jti}
        token = jwt.encode(claims, self._access_key, algorithm=ALGORITHM)
        return IssuedToken(token=token, jti=jti, expires_at=_at(exp))

    def verify_access(self, token: str, now: datetime) -> AccessClaims:
        """Return the claims of a valid access token, else raise ``Unauthorized``.

        Valid means: HS256 (``none``, HS512, RS256... are refused), a correct signature
        under the access key (an approval token fails here), exactly the five access
        claims with the right JSON types, and ``exp > now``. Revocation, the user's
        existence and ``password_changed_at`` are the caller's checks.
        """
        payload = self._decode(token, self._access_key)
        if payload is None:
            raise Unauthorized("invalid token")
        try:
            wire = msgspec.convert(payload, _AccessWire, strict=True)
        except msgspec.ValidationError as exc:
            raise Unauthorized("invalid token") from exc
        if wire.exp <= now.timestamp():
            raise Unauthorized("token expired")
        return AccessClaims(
            sub=wire.sub, email=wire.email, iat=_at(wire.iat), exp=_at(wire.exp), jti=wire.jti
        )

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
        """Sign a deploy-approval token (API.md §12), valid for 900 s from ``now``."""
        iat = _epoch(now)
        exp = iat + int(APPROVAL_LIFETIME.total_seconds())
        jti = secrets.token_hex(16)  # 128 bits
        claims = {
            "typ": APPROVAL_TYP,
            "jti": jti,
            "sub": approver_user_id,
            "app_id": app_id,
            "environment_id": environment_id,
            "release_id": release_id,
            "skip_stage": skip_stage,
            "role": role,
            "iat": iat,
            "exp": exp,
        }
        token = jwt.encode(claims, self._approval_key, algorithm=ALGORITHM)
        return IssuedToken(token=token, jti=jti, expires_at=_at(exp))

    def verify_approval(self, token: str, now: datetime) -> ApprovalClaims:
        """Return the claims of a valid approval token, else raise ``Validation``.

        The error's ``details["problem"]`` is one of ``bad_signature`` (malformed, wrong
        algorithm, or signed with another key, e.g. an access token), ``bad_typ``
        (``typ`` is not ``deploy_approval`` or the claims are not the approval claims)
        or ``expired`` (``exp <= now``), for the use case's per-token details.
        """
        payload = self._decode(token, self._approval_key)
        if payload is None:
            raise _approval_problem("bad_signature", "approval token has a bad signature")
        if payload.get("typ") != APPROVAL_TYP:
            raise _approval_problem("bad_typ", "approval token has the wrong typ")
        try:
            wire = msgspec.convert(payload, _ApprovalWire, strict=True)
        except msgspec.ValidationError as exc:
            raise _approval_problem("bad_typ", "approval token has malformed claims") from exc
        if wire.exp <= now.timestamp():
            raise _approval_problem("expired", "approval token is expired")
        return ApprovalClaims(
            jti=wire.jti,
            sub=wire.sub,
            app_id=wire.app_id,
            environment_id=wire.environment_id,
            release_id=wire.release_id,
            skip_stage=wire.skip_stage,
            role=wire.role,
            iat=_at(wire.iat),
            exp=_at(wire.exp),
        )

    @staticmethod
    def _decode(token: str, key: bytes) -> dict[str, Any] | None:
        """Signature-checked payload, or None for anything pyjwt refuses."""
        try:
            payload: dict[str, Any] = jwt.decode(
                token, key, algorithms=[ALGORITHM], options=_DECODE_OPTIONS
            )
        except jwt.PyJWTError:
            return None
        return payload


def _approval_problem(problem: str, message: str) -> Validation:
    return Validation(message, details={"problem": problem})


def new_link_token() -> str:
    """A fresh invite or reset token: 32 CSPRNG bytes, base64url without padding (43 chars).

    Its plaintext goes only into the emailed link; store ``hash_link_token(token)``.
    """
    return secrets.token_urlsafe(LINK_TOKEN_BYTES)


def hash_link_token(token: str) -> str:
    """The stored ``token_hash``: lowercase SHA-256 hex of the token's UTF-8 bytes."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
