"""Identifiers and randomness come through a port (ObjectIds, UUIDv7, readable words)."""

from __future__ import annotations

from typing import Protocol

__all__ = ["IdPort"]


class IdPort(Protocol):
    """Generator of identifiers and random tokens."""

    def new_id(self) -> str:
        """Return a new ObjectId as 24 lowercase hex characters, unique and time-ordered."""
        ...

    def request_id(self) -> str:
        """Return a new UUIDv7, lowercase and hyphenated."""
        ...

    def token(self, nbytes: int = 32) -> str:
        """Return ``nbytes`` of CSPRNG output, base64url without padding."""
        ...

    def hex_token(self, nbytes: int = 16) -> str:
        """Return ``nbytes`` of CSPRNG output as lowercase hex."""
        ...

    def choice(self, items: list[str]) -> str:
        """Return one element drawn uniformly with a CSPRNG. ``items`` is non-empty."""
        ...
