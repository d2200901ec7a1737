"""Accounts and authentication records (DOMAIN.md §3, §20; API.md §4)."""

from __future__ import annotations

from datetime import datetime

from conman_domain.model.base import Entity, MutableEntity

__all__ = ["LoginThrottle", "PasswordResetToken", "RevokedToken", "User"]


class User(MutableEntity, kw_only=True):
    """An account. ``email`` is trimmed and lowercased; unique."""

    email: str
    name: str
    password_hash: str
    password_changed_at: datetime


class PasswordResetToken(MutableEntity, kw_only=True):
    """A single-use reset token; only the SHA-256 hex of the token is stored."""

    user_id: str
    token_hash: str
    expires_at: datetime
    used_at: datetime | None = None


class LoginThrottle(MutableEntity, kw_only=True):
    """Login-failure counter per normalized email (API.md §4.1)."""

    email: str
    failure_count: int = 0
    window_started_at: datetime | None = None
    locked_until: datetime | None = None


class RevokedToken(Entity, kw_only=True):
    """A logged-out access token's ``jti``, kept until the token's ``exp``."""

    jti: str
    user_id: str
    expires_at: datetime
