"""Contract of ``CipherPort`` (DOMAIN.md §15.4), run against every adapter."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping

import msgspec
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap

from conman_adapters.security import AesGcmCipher
from conman_domain.errors import Internal, Validation
from conman_domain.model.profiles import SecretRecord
from conman_domain.ports.secrets import CipherPort, SecretAad

KEY_1 = "first-master-key-with-at-least-32-bytes!"
KEY_2 = "second-master-key-with-at-least-32-bytes"
AAD = SecretAad(app_id="a" * 24, profile_id="b" * 24, key="DB_PASSWORD")

CipherFactory = Callable[[Mapping[int, str], int], CipherPort]
ADAPTERS: list[tuple[str, CipherFactory]] = [("aesgcm", AesGcmCipher)]


@pytest.fixture(params=[factory for _, factory in ADAPTERS], ids=[name for name, _ in ADAPTERS])
def make(request: pytest.FixtureRequest) -> CipherFactory:
    factory: CipherFactory = request.param
    return factory


def _flip(b64: str, index: int = 0) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_encrypt_then_decrypt_returns_the_plaintext(make: CipherFactory) -> None:
    cipher = make({1: KEY_1}, 1)
    for text in ["x", "pässwörd ✓", "a" * 65_536]:
        assert cipher.decrypt(cipher.encrypt(text, AAD), AAD) == text


def test_record_has_the_documented_shape(make: CipherFactory) -> None:
    record = make({1: KEY_1}, 1).encrypt("hunter22", AAD)
    doc = msgspec.to_builtins(record)
    assert set(doc) == {"v", "kid", "wrapped_dek", "nonce", "ciphertext"}
    assert doc["v"] == 1
    assert doc["kid"] == "v1"
    assert len(base64.b64decode(record.nonce)) == 12
    assert len(base64.b64decode(record.wrapped_dek)) == 40  # RFC 3394 wrap of 32 bytes
    assert len(base64.b64decode(record.ciphertext)) == len("hunter22") + 16  # GCM tag
    assert "hunter22" not in msgspec.json.encode(record).decode()


def test_records_follow_the_spec_derivation_exactly(make: CipherFactory) -> None:
    record = make({3: KEY_1}, 3).encrypt("s3cr3t-value", AAD)
    kek = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"conman/kek/v3").derive(
        KEY_1.encode()
    )
    dek = aes_key_unwrap(kek, base64.b64decode(record.wrapped_dek))
    aad = f"{AAD.app_id}|{AAD.profile_id}|{AAD.key}".encode()
    plaintext = AESGCM(dek).decrypt(
        base64.b64decode(record.nonce), base64.b64decode(record.ciphertext), aad
    )
    assert record.kid == "v3"
    assert plaintext == b"s3cr3t-value"


def test_each_encryption_uses_a_fresh_dek_and_nonce(make: CipherFactory) -> None:
    cipher = make({1: KEY_1}, 1)
    first, second = cipher.encrypt("same", AAD), cipher.encrypt("same", AAD)
    assert first.nonce != second.nonce
    assert first.wrapped_dek != second.wrapped_dek
    assert first.ciphertext != second.ciphertext


@pytest.mark.parametrize(
    "other",
    [
        SecretAad(app_id="c" * 24, profile_id="b" * 24, key="DB_PASSWORD"),
        SecretAad(app_id="a" * 24, profile_id="d" * 24, key="DB_PASSWORD"),
        SecretAad(app_id="a" * 24, profile_id="b" * 24, key="DB_PASSWORD2"),
    ],
)
def test_a_changed_aad_fails_decryption(make: CipherFactory, other: SecretAad) -> None:
    cipher = make({1: KEY_1}, 1)
    record = cipher.encrypt("value", AAD)
    with pytest.raises(Internal) as info:
        cipher.decrypt(record, other)
    assert "value" not in info.value.message.replace("DB_PASSWORD", "")


@pytest.mark.parametrize("field", ["ciphertext", "nonce", "wrapped_dek"])
def test_a_tampered_record_fails_decryption(make: CipherFactory, field: str) -> None:
    cipher = make({1: KEY_1}, 1)
    record = cipher.encrypt("value", AAD)
    tampered = msgspec.structs.replace(record, **{field: _flip(getattr(record, field), 5)})
    with pytest.raises(Internal):
        cipher.decrypt(tampered, AAD)


def test_a_record_with_garbage_base64_fails_as_internal(make: CipherFactory) -> None:
    cipher = make({1: KEY_1}, 1)
    record = msgspec.structs.replace(cipher.encrypt("value", AAD), ciphertext="***")
    with pytest.raises(Internal):
        cipher.decrypt(record, AAD)


def test_a_record_under_an_unknown_kid_fails(make: CipherFactory) -> None:
    record = make({2: KEY_2}, 2).encrypt("value", AAD)
    with pytest.raises(Internal):
        make({1: KEY_1}, 1).decrypt(record, AAD)


def test_a_different_master_key_under_the_same_kid_fails(make: CipherFactory) -> None:
    record = make({1: KEY_1}, 1).encrypt("value", AAD)
    with pytest.raises(Internal):
        make({1: KEY_2}, 1).decrypt(record, AAD)


def test_records_under_the_previous_master_key_still_decrypt(make: CipherFactory) -> None:
    old = make({1: KEY_1}, 1).encrypt("legacy", AAD)
    rotated = make({1: KEY_1, 2: KEY_2}, 2)
    assert rotated.current_kid == "v2"
    assert rotated.decrypt(old, AAD) == "legacy"
    assert rotated.encrypt("fresh", AAD).kid == "v2"


def test_rewrap_moves_the_dek_to_the_new_key_and_is_idempotent(make: CipherFactory) -> None:
    old = make({1: KEY_1}, 1).encrypt("legacy", AAD)
    rotating = make({1: KEY_1, 2: KEY_2}, 1)
    rewrapped = rotating.rewrap(old, "v2")
    assert rewrapped.kid == "v2"
    assert (rewrapped.nonce, rewrapped.ciphertext) == (old.nonce, old.ciphertext)
    assert rotating.rewrap(rewrapped, "v2") == rewrapped
    # After the restart only the new key is needed.
    assert make({2: KEY_2}, 2).decrypt(rewrapped, AAD) == "legacy"


def test_rewrap_to_an_unconfigured_kid_fails(make: CipherFactory) -> None:
    cipher = make({1: KEY_1}, 1)
    with pytest.raises(Internal):
        cipher.rewrap(cipher.encrypt("x", AAD), "v9")


def test_a_record_of_an_unknown_format_version_fails(make: CipherFactory) -> None:
    cipher = make({1: KEY_1}, 1)
    record = msgspec.structs.replace(cipher.encrypt("x", AAD), v=2)
    with pytest.raises(Internal):
        cipher.decrypt(record, AAD)


@pytest.mark.parametrize(
    ("keys", "current"),
    [({1: "too-short"}, 1), ({1: KEY_1}, 2), ({0: KEY_1}, 0)],
)
def test_bad_key_configuration_is_rejected(
    make: CipherFactory, keys: dict[int, str], current: int
) -> None:
    with pytest.raises(Validation):
        make(keys, current)


def test_record_round_trips_through_stored_documents(make: CipherFactory) -> None:
    cipher = make({1: KEY_1}, 1)
    record = cipher.encrypt("value", AAD)
    stored = msgspec.json.decode(msgspec.json.encode(record))
    assert cipher.decrypt(msgspec.convert(stored, SecretRecord), AAD) == "value"
