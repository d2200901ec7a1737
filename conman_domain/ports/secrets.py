"""Envelope encryption of runtime-profile secrets (DOMAIN.md §15.4)."""

from __future__ import annotations

from typing import Protocol

import msgspec

from conman_domain.model.profiles import SecretRecord

__all__ = ["CipherPort", "SecretAad"]


class SecretAad(msgspec.Struct, frozen=True, kw_only=True):
    """Where a secret lives; authenticated with the ciphertext so records cannot move.

    Override secrets use the *target* profile id (§15.4).
    """

    app_id: str
    profile_id: str
    key: str

    def encode(self) -> bytes:
        """The AAD bytes: ``<app_id>|<profile_id>|<key>`` in UTF-8."""
        return f"{self.app_id}|{self.profile_id}|{self.key}".encode()


class CipherPort(Protocol):
    """AES-256-GCM with per-value data keys wrapped under versioned master keys."""

    @property
    def current_kid(self) -> str:
        """The key id (``v<N>``) new records are wrapped under."""
        ...

    def encrypt(self, plaintext: str, aad: SecretAad) -> SecretRecord:
        """Encrypt ``plaintext`` under a fresh 32-byte DEK and a fresh 12-byte nonce,
        wrap the DEK under the current master key, and return the record
        ``{v: 1, kid, wrapped_dek, nonce, ciphertext}`` (base64 fields). Two calls with the
        same input never return the same record. Never fails for valid UTF-8 text."""
        ...

    def decrypt(self, record: SecretRecord, aad: SecretAad) -> str:
        """Return the plaintext of ``record``. Raises ``Internal`` (500, message without
        any value) when the record's kid has no configured key, the wrapped DEK does not
        unwrap, or the ciphertext, nonce or AAD were changed (GCM tag mismatch)."""
        ...

    def rewrap(self, record: SecretRecord, kid: str) -> SecretRecord:
        """Return ``record`` with its DEK unwrapped and wrapped again under master key
        ``kid``; nonce and ciphertext are unchanged. A record already at ``kid`` is
        returned as is (idempotent). Raises ``Internal`` when either key is not
        configured or the DEK does not unwrap."""
        ...
