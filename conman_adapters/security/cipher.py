"""``AesGcmCipher``: envelope encryption with the ``cryptography`` package (§15.4)."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap,
    aes_key_wrap,
)

from conman_domain.errors import Internal, Validation
from conman_domain.model.profiles import SecretRecord
from conman_domain.ports.secrets import CipherPort, SecretAad

__all__ = ["MIN_MASTER_KEY_BYTES", "AesGcmCipher", "derive_kek"]

MIN_MASTER_KEY_BYTES = 32
_RECORD_VERSION = 1


def derive_kek(master_key: str, version: int) -> bytes:
    """KEK_N = HKDF-SHA256(ikm = UTF-8 master key, no salt, info ``conman/kek/v<N>``)."""
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"conman/kek/v{version}".encode(),
    )
    return hkdf.derive(master_key.encode())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


class AesGcmCipher(CipherPort):
    """Master keys by version; ``current`` wraps new DEKs, the others only unwrap.

    Typical set-up: the current key, plus the previous key until every record has been
    rewrapped, plus (only in ``rotate-master-key``) the new key.
    """

    def __init__(self, master_keys: Mapping[int, str], current: int) -> None:
        if current not in master_keys:
            raise Validation(f"no master key configured for current version v{current}")
        self._keks: dict[str, bytes] = {}
        for version, key in master_keys.items():
            if version < 1:
                raise Validation(f"master key version must be >= 1, got {version}")
            if len(key.encode()) < MIN_MASTER_KEY_BYTES:
                raise Validation(
                    f"master key v{version} must be at least {MIN_MASTER_KEY_BYTES} bytes"
                )
            self._keks[f"v{version}"] = derive_kek(key, version)
        self._current = f"v{current}"

    @property
    def current_kid(self) -> str:
        return self._current

    def encrypt(self, plaintext: str, aad: SecretAad) -> SecretRecord:
        dek = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        ciphertext = AESGCM(dek).encrypt(nonce, plaintext.encode(), aad.encode())
        return SecretRecord(
            v=_RECORD_VERSION,
            kid=self._current,
            wrapped_dek=_b64(aes_key_wrap(self._keks[self._current], dek)),
            nonce=_b64(nonce),
            ciphertext=_b64(ciphertext),
        )

    def decrypt(self, record: SecretRecord, aad: SecretAad) -> str:
        dek = self._unwrap(record, aad.key)
        try:
            plaintext = AESGCM(dek).decrypt(
                _unb64(record.nonce), _unb64(record.ciphertext), aad.encode()
            )
            return plaintext.decode()
        except (InvalidTag, ValueError) as exc:
            # ValueError covers bad base64, a wrong nonce length and non-UTF-8 output.
            raise Internal(f"secret decryption failed for key {aad.key}") from exc

    def rewrap(self, record: SecretRecord, kid: str) -> SecretRecord:
        if record.kid == kid:
            return record
        new_kek = self._kek(kid)
        dek = self._unwrap(record, "")
        return SecretRecord(
            v=record.v,
            kid=kid,
            wrapped_dek=_b64(aes_key_wrap(new_kek, dek)),
            nonce=record.nonce,
            ciphertext=record.ciphertext,
        )

    def _kek(self, kid: str) -> bytes:
        try:
            return self._keks[kid]
        except KeyError:
            raise Internal(f"no master key configured for key id {kid}") from None

    def _unwrap(self, record: SecretRecord, key_name: str) -> bytes:
        if record.v != _RECORD_VERSION:
            raise Internal(f"unsupported secret record version {record.v}")
        kek = self._kek(record.kid)
        try:
            return aes_key_unwrap(kek, _unb64(record.wrapped_dek))
        except (InvalidUnwrap, ValueError) as exc:
            label = f" for key {key_name}" if key_name else ""
            raise Internal(f"secret key unwrap failed{label}") from exc
