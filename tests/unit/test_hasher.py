"""Argon2id password hashing (API.md §4.1)."""

from __future__ import annotations

import base64

import pytest

from conman_adapters.security.hasher import Argon2Hasher
from conman_domain.errors import Validation

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def hasher() -> Argon2Hasher:
    return Argon2Hasher()


@pytest.fixture(scope="module")
def stored(hasher: Argon2Hasher) -> str:
    return hasher.hash(PASSWORD)


def _b64decode_phc(part: str) -> bytes:
    return base64.b64decode(part + "=" * (-len(part) % 4))


def test_hash_is_an_argon2id_phc_string_with_the_required_parameters(stored: str) -> None:
    _, variant, version, params, salt, digest = stored.split("$")
    assert (variant, version) == ("argon2id", "v=19")
    assert dict(p.split("=") for p in params.split(",")) == {"m": "19456", "t": "2", "p": "1"}
    assert len(_b64decode_phc(salt)) == 16
    assert len(_b64decode_phc(digest)) == 32


def test_the_plaintext_is_not_in_the_hash(stored: str) -> None:
    assert PASSWORD not in stored


def test_each_hash_gets_a_fresh_salt(hasher: Argon2Hasher, stored: str) -> None:
    again = hasher.hash(PASSWORD)
    assert again != stored
    assert again.split("$")[4] != stored.split("$")[4]


def test_right_password_verifies_and_wrong_one_does_not(hasher: Argon2Hasher, stored: str) -> None:
    assert hasher.verify(stored, PASSWORD) is True
    assert hasher.verify(stored, PASSWORD + " ") is False
    assert hasher.verify(stored, "") is False


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not a hash",
        "$argon2id$v=19$m=19456,t=2,p=1$",
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$!!!",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$argon2id$v=19$m=x,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA",
    ],
)
def test_malformed_hash_never_raises_and_does_not_verify(hasher: Argon2Hasher, bad: str) -> None:
    assert hasher.verify(bad, PASSWORD) is False
    assert hasher.needs_rehash(bad) is True


def test_truncated_stored_hash_does_not_verify(hasher: Argon2Hasher, stored: str) -> None:
    assert hasher.verify(stored[:-4], PASSWORD) is False


def test_hash_with_current_parameters_needs_no_rehash(hasher: Argon2Hasher, stored: str) -> None:
    assert hasher.needs_rehash(stored) is False


def test_stronger_parameters_flag_old_hashes_for_rehash_and_still_verify_them(
    stored: str,
) -> None:
    stronger = Argon2Hasher(time_cost=3)
    assert stronger.needs_rehash(stored) is True
    assert stronger.verify(stored, PASSWORD) is True


def test_parameters_below_the_floor_are_refused() -> None:
    with pytest.raises(ValueError):
        Argon2Hasher(memory_kib=4096)
    with pytest.raises(ValueError):
        Argon2Hasher(time_cost=1)


def test_unencodable_password_is_a_validation_error_on_hash_and_false_on_verify(
    hasher: Argon2Hasher, stored: str
) -> None:
    with pytest.raises(Validation):
        hasher.hash("lone \ud800 surrogate")
    assert hasher.verify(stored, "lone \ud800 surrogate") is False
