"""Access tokens, deploy-approval tokens and link tokens (API.md §4.1, §12)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from conman_adapters.security.tokens import (
    JwtTokens,
    derive_approval_key,
    hash_link_token,
    new_link_token,
)
from conman_domain.errors import Unauthorized, Validation

SECRET = "k" * 32 + "-a-long-enough-test-secret"
NOW = datetime(2026, 3, 1, 8, 0, 0, 250_000, tzinfo=UTC)
NOW_S = int(NOW.timestamp())


@pytest.fixture
def tokens() -> JwtTokens:
    return JwtTokens(SECRET, expiry_hours=24)


def _approval(tokens: JwtTokens, now: datetime = NOW, **overrides: Any) -> str:
    fields: dict[str, Any] = {
        "approver_user_id": "u" * 24,
        "role": "reviewer",
        "app_id": "a" * 24,
        "environment_id": "e" * 24,
        "release_id": "r" * 24,
        "skip_stage": True,
        "now": now,
    }
    fields.update(overrides)
    return tokens.issue_approval(**fields).token


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _access_claims() -> dict[str, Any]:
    return {"sub": "u1", "email": "a@b.c", "iat": NOW_S, "exp": NOW_S + 60, "jti": "j1"}


def test_access_token_carries_the_spec_claims_and_expires_after_the_configured_hours(
    tokens: JwtTokens,
) -> None:
    issued = tokens.issue_access("u" * 24, "ann@example.test", NOW)
    payload = jwt.decode(
        issued.token, SECRET.encode(), algorithms=["HS256"], options={"verify_exp": False}
    )
    assert set(payload) == {"sub", "email", "iat", "exp", "jti"}
    assert payload["iat"] == NOW_S
    assert payload["exp"] == NOW_S + 24 * 3600
    assert payload["jti"] == issued.jti
    assert jwt.get_unverified_header(issued.token)["alg"] == "HS256"
    assert issued.expires_at == datetime.fromtimestamp(NOW_S + 24 * 3600, UTC)


def test_valid_access_token_verifies_to_its_claims(tokens: JwtTokens) -> None:
    issued = tokens.issue_access("user-1", "ann@example.test", NOW)
    claims = tokens.verify_access(issued.token, NOW + timedelta(hours=1))
    assert (claims.sub, claims.email, claims.jti) == ("user-1", "ann@example.test", issued.jti)
    assert claims.iat == datetime.fromtimestamp(NOW_S, UTC)
    assert claims.exp == issued.expires_at


def test_access_token_is_refused_once_exp_is_reached_by_the_injected_clock(
    tokens: JwtTokens,
) -> None:
    issued = tokens.issue_access("user-1", "a@b.c", NOW)
    tokens.verify_access(issued.token, issued.expires_at - timedelta(milliseconds=1))
    with pytest.raises(Unauthorized):
        tokens.verify_access(issued.token, issued.expires_at)


def test_expiry_hours_setting_is_honoured() -> None:
    issued = JwtTokens(SECRET, expiry_hours=2).issue_access("u", "a@b.c", NOW)
    assert issued.expires_at - datetime.fromtimestamp(NOW_S, UTC) == timedelta(hours=2)


def test_token_is_checked_against_the_given_time_not_the_wall_clock(tokens: JwtTokens) -> None:
    # Issued and checked far in the past: pyjwt's own wall-clock exp check would refuse it.
    past = datetime(2001, 1, 1, tzinfo=UTC)
    issued = tokens.issue_access("u", "a@b.c", past)
    assert tokens.verify_access(issued.token, past + timedelta(hours=23)).sub == "u"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("algorithm", ["HS512", "HS384"])
def test_other_hmac_algorithms_are_refused_even_with_the_right_secret(
    tokens: JwtTokens, algorithm: str
) -> None:
    forged = jwt.encode(_access_claims(), SECRET.encode(), algorithm=algorithm)
    with pytest.raises(Unauthorized):
        tokens.verify_access(forged, NOW)


def test_unsigned_alg_none_token_is_refused(tokens: JwtTokens) -> None:
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_access_claims())}."
    with pytest.raises(Unauthorized):
        tokens.verify_access(forged, NOW)


def test_tampered_payload_or_signature_is_refused(tokens: JwtTokens) -> None:
    issued = tokens.issue_access("user-1", "a@b.c", NOW)
    header, payload, signature = issued.token.split(".")
    evil_payload = _b64({**_access_claims(), "sub": "admin"})
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for forged in (f"{header}.{evil_payload}.{signature}", f"{header}.{payload}.{flipped}"):
        with pytest.raises(Unauthorized):
            tokens.verify_access(forged, NOW)


def test_token_signed_with_another_secret_is_refused(tokens: JwtTokens) -> None:
    other = JwtTokens("z" * 40).issue_access("u", "a@b.c", NOW)
    with pytest.raises(Unauthorized):
        tokens.verify_access(other.token, NOW)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x.y.z"])
def test_malformed_token_is_unauthorized(tokens: JwtTokens, garbage: str) -> None:
    with pytest.raises(Unauthorized):
        tokens.verify_access(garbage, NOW)


def test_access_token_with_wrongly_typed_or_missing_claims_is_refused(tokens: JwtTokens) -> None:
    for claims in (
        {k: v for k, v in _access_claims().items() if k != "jti"},
        {**_access_claims(), "exp": str(NOW_S + 60)},
        {**_access_claims(), "sub": 42},
    ):
        forged = jwt.encode(claims, SECRET.encode(), algorithm="HS256")
        with pytest.raises(Unauthorized):
            tokens.verify_access(forged, NOW)


def test_approval_token_is_never_accepted_as_an_access_token(tokens: JwtTokens) -> None:
    with pytest.raises(Unauthorized):
        tokens.verify_access(_approval(tokens), NOW)


def test_access_token_is_never_accepted_as_an_approval_token(tokens: JwtTokens) -> None:
    issued = tokens.issue_access("u", "a@b.c", NOW)
    with pytest.raises(Validation) as caught:
        tokens.verify_approval(issued.token, NOW)
    assert caught.value.details == {"problem": "bad_signature"}


def test_approval_claims_signed_with_the_raw_secret_are_refused(tokens: JwtTokens) -> None:
    payload = jwt.decode(
        _approval(tokens), options={"verify_signature": False}, algorithms=["HS256"]
    )
    forged = jwt.encode(payload, SECRET.encode(), algorithm="HS256")
    with pytest.raises(Validation) as caught:
        tokens.verify_approval(forged, NOW)
    assert caught.value.details == {"problem": "bad_signature"}


def test_approval_token_carries_the_spec_claims_and_lives_900_seconds(tokens: JwtTokens) -> None:
    issued = tokens.issue_approval(
        approver_user_id="u1",
        role="config_manager",
        app_id="a1",
        environment_id="e1",
        release_id="r1",
        skip_stage=False,
        now=NOW,
    )
    key = derive_approval_key(SECRET.encode())
    payload = jwt.decode(issued.token, key, algorithms=["HS256"], options={"verify_exp": False})
    assert payload == {
        "typ": "deploy_approval",
        "jti": issued.jti,
        "sub": "u1",
        "app_id": "a1",
        "environment_id": "e1",
        "release_id": "r1",
        "skip_stage": False,
        "role": "config_manager",
        "iat": NOW_S,
        "exp": NOW_S + 900,
    }
    assert re.fullmatch(r"[0-9a-f]{32}", issued.jti)
    claims = tokens.verify_approval(issued.token, NOW + timedelta(seconds=899))
    assert (claims.sub, claims.role, claims.skip_stage, claims.jti) == (
        "u1",
        "config_manager",
        False,
        issued.jti,
    )
    assert claims.exp - claims.iat == timedelta(seconds=900)


def test_approval_key_is_hkdf_sha256_of_the_secret_with_the_spec_info() -> None:
    # RFC 5869 with an empty salt: PRK = HMAC(0^32, IKM); OKM = HMAC(PRK, info || 0x01).
    import hmac

    prk = hmac.new(b"\x00" * 32, SECRET.encode(), hashlib.sha256).digest()
    okm = hmac.new(prk, b"conman/deploy-approval\x01", hashlib.sha256).digest()
    assert derive_approval_key(SECRET.encode()) == okm


def test_expired_approval_token_is_reported_as_expired(tokens: JwtTokens) -> None:
    token = _approval(tokens)
    with pytest.raises(Validation) as caught:
        tokens.verify_approval(token, datetime.fromtimestamp(NOW_S + 900, UTC))
    assert caught.value.details == {"problem": "expired"}


def test_approval_key_token_with_another_typ_is_reported_as_bad_typ(tokens: JwtTokens) -> None:
    key = derive_approval_key(SECRET.encode())
    payload = jwt.decode(
        _approval(tokens), key, algorithms=["HS256"], options={"verify_exp": False}
    )
    for typ in ("access", None):
        forged_claims = {k: v for k, v in payload.items() if k != "typ"}
        if typ is not None:
            forged_claims["typ"] = typ
        forged = jwt.encode(forged_claims, key, algorithm="HS256")
        with pytest.raises(Validation) as caught:
            tokens.verify_approval(forged, NOW)
        assert caught.value.details == {"problem": "bad_typ"}


def test_jti_values_are_unique(tokens: JwtTokens) -> None:
    access = {tokens.issue_access("u", "a@b.c", NOW).jti for _ in range(200)}
    approvals = {
        tokens.issue_approval(
            approver_user_id="u",
            role="reviewer",
            app_id="a",
            environment_id="e",
            release_id="r",
            skip_stage=True,
            now=NOW,
        ).jti
        for _ in range(200)
    }
    assert len(access) == 200 and len(approvals) == 200


def test_short_secret_is_refused_and_repr_hides_the_secret() -> None:
    with pytest.raises(ValueError):
        JwtTokens("x" * 31)
    JwtTokens("é" * 16)  # 16 code points, but 32 bytes in UTF-8: enough
    assert SECRET not in repr(JwtTokens(SECRET))


def test_link_token_is_32_random_bytes_base64url_without_padding() -> None:
    tokens = {new_link_token() for _ in range(100)}
    assert len(tokens) == 100
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
        assert len(base64.urlsafe_b64decode(token + "=")) == 32


def test_link_token_hash_is_the_sha256_hex_digest() -> None:
    assert hash_link_token("abc") == hashlib.sha256(b"abc").hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", hash_link_token(new_link_token()))
