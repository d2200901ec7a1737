"""Argon2id password hashing with argon2-cffi (API.md §4.1)."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from conman_domain.errors import Validation
from conman_domain.ports.security import PasswordHasherPort

__all__ = ["MIN_MEMORY_KIB", "MIN_PARALLELISM", "MIN_TIME_COST", "Argon2Hasher"]

# The floor of API.md §4.1 (the OWASP baseline for Argon2id); stronger is allowed.
MIN_MEMORY_KIB = 19_456
MIN_TIME_COST = 2
MIN_PARALLELISM = 1
SALT_BYTES = 16
HASH_BYTES = 32


class Argon2Hasher(PasswordHasherPort):
    """Hashes passwords as Argon2id PHC strings (``$argon2id$v=19$m=...,t=...,p=...$...``).

    Each hash gets a fresh random 16-byte salt from argon2-cffi (``os.urandom``).
    Parameters below the floor of API.md §4.1 are refused at construction. Neither
    the password nor the hash is ever logged or put in an exception message.
    """

    def __init__(
        self,
        *,
        memory_kib: int = MIN_MEMORY_KIB,
        time_cost: int = MIN_TIME_COST,
        parallelism: int = MIN_PARALLELISM,
    ) -> None:
        if memory_kib < MIN_MEMORY_KIB or time_cost < MIN_TIME_COST or parallelism < 1:
            raise ValueError("argon2 parameters are below m=19456 KiB, t=2, p=1")
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            hash_len=HASH_BYTES,
            salt_len=SALT_BYTES,
            type=Type.ID,
        )

    def hash(self, password: str) -> str:
        """Return the PHC string of ``password`` with a new random salt.

        Raises ``Validation`` when the password cannot be encoded as UTF-8 (a lone
        surrogate); the policy checks of the use case run before this.
        """
        try:
            return self._hasher.hash(password)
        except UnicodeEncodeError as exc:
            raise Validation("password is not valid unicode") from exc

    def verify(self, password_hash: str, password: str) -> bool:
        """True when ``password`` matches; False for a mismatch or a malformed hash.

        Never raises for bad input: an empty, truncated, non-argon2 or otherwise
        corrupted stored hash simply does not verify.
        """
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError, UnicodeEncodeError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters (or is unreadable).

        The login use case then stores a fresh hash of the password it just verified.
        """
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True
