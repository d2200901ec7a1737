"""Conman adapters: security (password hashing, signed tokens, link tokens, secrets)."""

from conman_adapters.security.cipher import AesGcmCipher
from conman_adapters.security.hasher import Argon2Hasher
from conman_adapters.security.tokens import JwtTokens, hash_link_token, new_link_token

__all__ = ["AesGcmCipher", "Argon2Hasher", "JwtTokens", "hash_link_token", "new_link_token"]
