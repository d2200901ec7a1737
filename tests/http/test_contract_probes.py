"""Regression tests for contract violations found by probing a running server (API.md §1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from conman_adapters.config import load_settings
from conman_adapters.container import build_container
from conman_adapters.store import INDEXES
from conman_http import create_app
from tests.http.identity_harness import NO_LIMITS, Env, TickingClock, identity_env

MISSING = "aaaaaaaaaaaaaaaaaaaaaaaa"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with identity_env(tmp_path) as e:
        yield e


def _validation_fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"].startswith("validation: ")
    return [f["field"] for f in error["details"]["fields"]]


# (method, path template, json body or None); {app} is the app id, {user} the admin's id.
ROUTES_WITHOUT_QUERY = [
    ("GET", "/api/me", None),
    ("GET", "/api/me/notification-preferences", None),
    ("PATCH", "/api/me/notification-preferences", {"email_enabled": False}),
    ("POST", "/api/apps", {"name": "other", "repo_path": "repos/other"}),
    ("PATCH", "/api/apps/{app}/settings", {"required_approvals": 2}),
    ("PATCH", "/api/apps/{app}/environments", None),
    ("PATCH", "/api/apps/{app}/members/me", {"commit_mode": None}),
    ("PATCH", f"/api/apps/{{app}}/members/{MISSING}", {"role": "user"}),
    ("DELETE", f"/api/apps/{{app}}/members/{MISSING}", None),
    ("POST", "/api/apps/{app}/invites", {"email": "new@example.com", "role": "user"}),
    ("POST", f"/api/apps/{{app}}/invites/{MISSING}/resend", None),
    ("DELETE", f"/api/apps/{{app}}/invites/{MISSING}", None),
    ("POST", "/api/auth/logout", None),
    ("POST", "/api/auth/login", {"email": "admin@example.com", "password": "x"}),
    ("POST", "/api/auth/forgot-password", {"email": "admin@example.com"}),
    ("POST", "/api/auth/reset-password", {"token": "t", "new_password": "p" * 12}),
    ("POST", "/api/auth/accept-invite", {"token": "t", "password": "p" * 12}),
]


@pytest.mark.parametrize(("method", "template", "body"), ROUTES_WITHOUT_QUERY)
def test_an_unknown_query_parameter_is_rejected_on_routes_that_document_none(
    env: Env, method: str, template: str, body: dict[str, object] | None
) -> None:
    admin = env.user("admin@example.com")
    app_id = env.app(admin)
    headers = env.headers(admin)
    if template.endswith("/environments"):
        listed = env.client.get(f"/api/apps/{app_id}/environments", headers=headers)
        keep = ("id", "name", "position", "is_canonical")
        body = {"environments": [{k: e[k] for k in keep} for e in listed.json()["data"]]}
    path = template.format(app=app_id)
    response = env.client.request(
        method, f"{path}?name[$gt]=", headers=headers, json=body if body is not None else None
    )
    assert _validation_fields(response) == ["name[$gt]"]


def test_a_non_member_gets_403_before_an_unknown_query_parameter_is_checked(env: Env) -> None:
    admin, outsider = env.user("admin@example.com"), env.user("out@example.com")
    app_id = env.app(admin)
    response = env.client.request(
        "DELETE", f"/api/apps/{app_id}/members/{MISSING}?x=1", headers=env.headers(outsider)
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("entity_id=zz", "entity_id"),
        ("actor_user_id=ABCDEF", "actor_user_id"),
        ("entity_type=%24gt", "entity_type"),
        ("action=app.nonsense", "action"),
        ("action=nonsense.created", "action"),
    ],
)
def test_malformed_or_unknown_audit_filters_are_rejected(env: Env, query: str, field: str) -> None:
    admin = env.user("admin@example.com")
    app_id = env.app(admin)
    response = env.client.get(f"/api/apps/{app_id}/audit?{query}", headers=env.headers(admin))
    assert _validation_fields(response) == [field]


def test_well_formed_audit_filters_still_select_events(env: Env) -> None:
    admin = env.user("admin@example.com")
    app_id = env.app(admin)
    headers = env.headers(admin)
    query = f"entity_type=app&entity_id={app_id}&action=app.created&actor_user_id={admin.id}"
    response = env.client.get(f"/api/apps/{app_id}/audit?{query}", headers=headers)
    assert response.status_code == 200, response.text
    assert [e["action"] for e in response.json()["data"]] == ["app.created"]


@pytest.mark.parametrize("pattern", ["[z-a]", "config/[9-0].json"])
def test_a_blocked_path_glob_that_cannot_be_compiled_is_rejected_by_settings(
    env: Env, pattern: str
) -> None:
    admin = env.user("admin@example.com")
    app_id = env.app(admin)
    response = env.client.patch(
        f"/api/apps/{app_id}/settings",
        headers=env.headers(admin),
        json={"blocked_paths": [".git/**", pattern]},
    )
    assert _validation_fields(response) == ["blocked_paths[1]"]


def test_a_limit_with_many_digits_is_clamped_not_rejected(env: Env) -> None:
    admin = env.user("admin@example.com")
    env.app(admin)
    response = env.client.get("/api/apps?limit=99999999999999999999999", headers=env.headers(admin))
    assert response.status_code == 200, response.text
    assert response.json()["pagination"]["limit"] == 100


def test_a_page_far_past_the_end_is_an_empty_page_with_the_real_total(env: Env) -> None:
    admin = env.user("admin@example.com")
    env.app(admin)
    response = env.client.get("/api/apps?page=999999999999999999999", headers=env.headers(admin))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == []
    assert body["pagination"]["total"] == 1


def test_a_huge_page_on_the_sqlite_store_is_an_empty_page_not_a_conflict(tmp_path: Path) -> None:
    values = {"CONMAN_JWT_SECRET": "j" * 40, "CONMAN_SECRETS_MASTER_KEY": "m" * 40, **NO_LIMITS}
    settings = load_settings(values, cwd=tmp_path)
    container = build_container(settings, backend="sqlite", git_backend="memory")
    container.store().ensure_indexes(INDEXES)
    clock = TickingClock()
    container.clock.override(providers.Object(clock))
    with TestClient(create_app(container)) as client:
        sqlite_env = Env(container, clock, client)
        admin = sqlite_env.user("admin@example.com")
        sqlite_env.app(admin)
        response = client.get(
            "/api/apps?page=999999999999999999&limit=100", headers=sqlite_env.headers(admin)
        )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == []


@pytest.mark.parametrize(
    ("method", "path", "raw"),
    [
        ("POST", "/api/apps", b'{"name": "\xff\xfe", "repo_path": "repos/x"}'),
        ("POST", "/api/auth/logout", b'{"\xc3": 1}'),
        ("PATCH", "/api/me/notification-preferences", b'{"email_enabled\xe2\x82": true}'),
    ],
)
def test_invalid_utf8_inside_a_json_body_is_a_400_not_a_500(
    env: Env, method: str, path: str, raw: bytes
) -> None:
    admin = env.user("admin@example.com")
    headers = {**env.headers(admin), "Content-Type": "application/json"}
    response = env.client.request(method, path, headers=headers, content=raw)
    assert _validation_fields(response) == ["body"]


def test_openapi_documents_query_parameters_and_enveloped_response_schemas(env: Env) -> None:
    paths = env.client.get("/api/openapi.json").json()["paths"]

    def query_names(path: str, method: str) -> set[str]:
        params = paths[path][method].get("parameters", [])
        return {p["name"] for p in params if p["in"] == "query"}

    def success_schema(path: str, method: str) -> dict[str, object]:
        responses = paths[path][method]["responses"]
        status = next(code for code in responses if code.startswith("2"))
        schema: dict[str, object] = responses[status]["content"]["application/json"]["schema"]
        return schema

    assert query_names("/api/apps", "get") == {"page", "limit"}
    assert query_names("/api/apps/{app_id}/audit", "get") >= {"entity_id", "action", "from", "to"}
    assert query_names("/api/apps/{app_id}/jobs", "get") >= {"type", "state", "page"}
    listed = success_schema("/api/apps", "get")
    assert listed["required"] == ["data", "pagination"]
    app_item = listed["properties"]["data"]["items"]  # type: ignore[index]
    assert {"id", "settings", "my_role"} <= set(app_item["properties"])
    created = success_schema("/api/apps", "post")
    assert "repo_path" in created["properties"]["data"]["properties"]  # type: ignore[index]
    me = success_schema("/api/me", "get")
    assert "memberships" in me["properties"]["data"]["properties"]  # type: ignore[index]
    errors = paths["/api/apps/{app_id}"]["get"]["responses"]["400"]["content"]
    assert set(errors["application/json"]["schema"]["properties"]) == {"error"}
    logout = success_schema("/api/auth/logout", "post")
    assert logout["properties"]["data"]["properties"] == {"message": {"type": "string"}}  # type: ignore[index]


def test_reset_password_checks_the_password_policy_before_looking_up_the_token(env: Env) -> None:
    response = env.client.post(
        "/api/auth/reset-password", json={"token": "unknown-token", "new_password": "short"}
    )
    assert _validation_fields(response) == ["new_password"]
