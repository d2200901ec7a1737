"""Login, tokens, logout, throttling and rate limits (API.md §1.11, §4)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from conman_domain.usecases.audit import Actor
from tests.http.identity_harness import PASSWORD, Env, identity_env


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with identity_env(tmp_path) as e:
        yield e


def login(env: Env, email: str, password: str) -> tuple[int, dict[str, object]]:
    r = env.client.post("/api/auth/login", json={"email": email, "password": password})
    return r.status_code, r.json()


def test_login_returns_a_token_and_the_user_summary(env: Env) -> None:
    user = env.user("ann@example.com", "Ann")
    r = env.client.post(
        "/api/auth/login", json={"email": " Ann@Example.com ", "password": PASSWORD}
    )
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    data = r.json()["data"]
    assert data["user"] == {"id": user.id, "email": "ann@example.com", "name": "Ann"}
    claims = jwt.decode(data["token"], options={"verify_signature": False})
    assert set(claims) == {"sub", "email", "iat", "exp", "jti"}
    assert claims["sub"] == user.id


def test_unknown_email_and_wrong_password_get_the_same_401_body(env: Env) -> None:
    env.user("ann@example.com")
    s1, b1 = login(env, "ann@example.com", "wrong password!")
    s2, b2 = login(env, "nobody@example.com", "wrong password!")
    assert s1 == s2 == 401
    e1, e2 = b1["error"], b2["error"]
    assert isinstance(e1, dict) and isinstance(e2, dict)
    assert e1["code"] == e2["code"] == "invalid_credentials"
    assert e1["message"] == e2["message"]


def test_login_with_empty_or_missing_fields_is_400(env: Env) -> None:
    assert login(env, "", "x")[0] == 400
    r = env.client.post("/api/auth/login", json={"email": "a@b.co"})
    assert r.status_code == 400


def test_json_shaped_like_a_query_operator_is_400(env: Env) -> None:
    env.user("ann@example.com")
    r = env.client.post("/api/auth/login", json={"email": {"$gt": ""}, "password": {"$ne": None}})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "validation_error"


def test_five_failures_lock_the_email_even_for_the_right_password(env: Env) -> None:
    env.user("ann@example.com")
    for _ in range(5):
        assert login(env, "ann@example.com", "wrong password!")[0] == 401
    r = env.client.post("/api/auth/login", json={"email": "ann@example.com", "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    unknown = [login(env, "ghost@example.com", "wrong password!")[0] for _ in range(6)]
    assert unknown[-1] == 429
    env.clock.advance(minutes=16)
    assert login(env, "ann@example.com", PASSWORD)[0] == 200


def test_successful_login_clears_the_failure_count(env: Env) -> None:
    env.user("ann@example.com")
    for _ in range(4):
        login(env, "ann@example.com", "wrong password!")
    assert login(env, "ann@example.com", PASSWORD)[0] == 200
    for _ in range(4):
        assert login(env, "ann@example.com", "wrong password!")[0] == 401
    assert login(env, "ann@example.com", PASSWORD)[0] == 200


def test_missing_tampered_expired_and_revoked_tokens_are_401(env: Env) -> None:
    user = env.user("ann@example.com")
    token = env.token(user)
    assert env.client.get("/api/me").status_code == 401
    head, body, sig = token.split(".")
    tampered = f"{head}.{body}.{sig[:-2]}{'A' if sig[-2] != 'A' else 'B'}{sig[-1]}"
    forged = jwt.encode(
        {"sub": user.id, "email": user.email, "iat": 1, "exp": 2**40, "jti": "x"}, "k" * 40
    )
    for bad in (tampered, forged, "not-a-jwt"):
        r = env.client.get("/api/me", headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthorized"
    good = {"Authorization": f"Bearer {token}"}
    assert env.client.get("/api/me", headers=good).status_code == 200
    assert env.client.post("/api/auth/logout", headers=good).status_code == 200
    assert env.client.get("/api/me", headers=good).status_code == 401
    fresh = env.headers(user)
    env.clock.advance(hours=25)
    assert env.client.get("/api/me", headers=fresh).status_code == 401


def test_a_deleted_user_token_is_401(env: Env) -> None:
    user = env.user("ann@example.com")
    headers = env.headers(user)
    env.container.store().collection("users").delete_one({"_id": user.id})
    assert env.client.get("/api/me", headers=headers).status_code == 401


def test_logout_takes_no_body_fields(env: Env) -> None:
    user = env.user("ann@example.com")
    r = env.client.post("/api/auth/logout", headers=env.headers(user), json={"all": True})
    assert r.status_code == 400


def test_me_lists_memberships_and_preferences_default_to_enabled(env: Env) -> None:
    user = env.user("ann@example.com", "Ann")
    app_id = env.app(user)
    headers = env.headers(user)
    me = env.client.get("/api/me", headers=headers).json()["data"]
    assert me["memberships"] == [
        {"app_id": app_id, "app_name": "shop", "role": "app_admin", "commit_mode": None}
    ]
    prefs = env.client.get("/api/me/notification-preferences", headers=headers).json()["data"]
    assert prefs["email_enabled"] is True
    assert env.repos.notification_preferences.count({}) == 0
    r = env.client.patch(
        "/api/me/notification-preferences", headers=headers, json={"email_enabled": False}
    )
    assert r.status_code == 200 and r.json()["data"]["email_enabled"] is False
    bad = env.client.patch(
        "/api/me/notification-preferences", headers=headers, json={"email_enabled": "no"}
    )
    assert bad.status_code == 400
    events = env.repos.audit.list({"action": "notification_preference.updated"}).items
    assert len(events) == 1 and events[0].app_id is None


def test_no_response_or_log_line_carries_a_password_hash_or_token(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    user = env.user("ann@example.com")
    r = env.client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    token = r.json()["data"]["token"]
    headers = {"Authorization": f"Bearer {token}"}
    bodies = [env.client.get("/api/me", headers=headers).text]
    app_id = env.app(user)
    bodies.append(env.client.get(f"/api/apps/{app_id}/members", headers=headers).text)
    bodies.append(env.client.get(f"/api/apps/{app_id}/audit", headers=headers).text)
    env.client.post("/api/auth/forgot-password", json={"email": user.email})
    bodies.append(env.client.get(f"/api/apps/{app_id}/audit", headers=headers).text)
    stored = env.repos.users.get(user.id)
    for text in [*bodies, caplog.text]:
        assert stored.password_hash not in text
        assert "$argon2" not in text
        assert PASSWORD not in text
    assert token not in caplog.text


def test_per_user_limits_answer_429_and_responses_carry_rate_headers(tmp_path: Path) -> None:
    with identity_env(
        tmp_path,
        CONMAN_RATE_LIMIT_USER_PER_MIN="3",
        CONMAN_RATE_LIMIT_WRITES_PER_MIN="1",
    ) as env:
        user = env.user("ann@example.com")
        headers = env.headers(user)
        first = env.client.get("/api/me", headers=headers)
        assert first.headers["x-ratelimit-limit"] == "3"
        assert first.headers["x-ratelimit-remaining"] == "2"
        assert int(first.headers["x-ratelimit-reset"]) > 0
        prefs = {"email_enabled": True}
        path = "/api/me/notification-preferences"
        assert env.client.patch(path, headers=headers, json=prefs).status_code == 200
        refused = env.client.patch(path, headers=headers, json=prefs)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert env.client.get("/api/me", headers=headers).status_code == 429


def test_auth_routes_are_limited_per_client_ip_before_anything_else(tmp_path: Path) -> None:
    with identity_env(tmp_path, CONMAN_RATE_LIMIT_AUTH_IP_PER_MIN="2") as env:
        body = {"email": "nobody@example.com"}
        codes = [
            env.client.post("/api/auth/forgot-password", json=body).status_code for _ in range(3)
        ]
        assert codes == [200, 200, 429]
        assert env.client.post("/api/auth/login", json={}).status_code == 429


def test_bootstrap_user_is_created_only_in_an_empty_store(env: Env) -> None:
    from conman_domain.usecases.bootstrap import ensure_bootstrap_user

    made = ensure_bootstrap_user(
        env.repos, env.services.auth, email="admin@localhost", password=None,
        write_generated_password=lambda: "generated-password-123",
    )  # fmt: skip
    assert made.created and made.password_generated
    assert login(env, "admin@localhost", "generated-password-123")[0] == 200
    again = ensure_bootstrap_user(
        env.repos, env.services.auth, email="other@localhost", password=None,
        write_generated_password=lambda: "never-called-password",
    )  # fmt: skip
    assert not again.created
    assert env.services.auth.create_user("b@example.com", "B", PASSWORD, Actor()).email


def test_openapi_documents_the_strict_request_bodies(env: Env) -> None:
    doc = env.client.get("/api/openapi.json").json()
    login_body = doc["paths"]["/api/auth/login"]["post"]["requestBody"]
    schema = login_body["content"]["application/json"]["schema"]
    assert schema["required"] == ["email", "password"]
    assert schema["additionalProperties"] is False
    envs = doc["paths"]["/api/apps/{app_id}/environments"]["patch"]["requestBody"]
    assert "$ref" not in str(envs)
