"""Every identity route, every role, member or not: the expected status
(DOMAIN.md §2.2; API.md §1.4 steps 4-8). The table below is the spec; the test also
checks that it covers exactly the routes the app declares."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.handlers import HTTPRouteHandler

from conman_domain.model import Role
from conman_http.routes import IDENTITY_ROUTES
from tests.http.identity_harness import Env, identity_env

PUBLIC = "public"
AUTH = "authenticated"

# (method, path template) → minimum role, AUTH (any user, no app) or PUBLIC.
EXPECTED: dict[tuple[str, str], Role | str] = {
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/logout"): AUTH,
    ("POST", "/api/auth/forgot-password"): PUBLIC,
    ("POST", "/api/auth/reset-password"): PUBLIC,
    ("POST", "/api/auth/accept-invite"): PUBLIC,
    ("GET", "/accept-invite"): PUBLIC,
    ("GET", "/reset-password"): PUBLIC,
    ("GET", "/api/me"): AUTH,
    ("GET", "/api/me/notification-preferences"): AUTH,
    ("PATCH", "/api/me/notification-preferences"): AUTH,
    ("GET", "/api/apps"): AUTH,
    ("POST", "/api/apps"): AUTH,
    ("GET", "/api/apps/{app_id}"): Role.USER,
    ("PATCH", "/api/apps/{app_id}/settings"): Role.APP_ADMIN,
    ("GET", "/api/apps/{app_id}/environments"): Role.USER,
    ("PATCH", "/api/apps/{app_id}/environments"): Role.APP_ADMIN,
    ("GET", "/api/apps/{app_id}/members"): Role.USER,
    ("PATCH", "/api/apps/{app_id}/members/me"): Role.USER,
    ("PATCH", "/api/apps/{app_id}/members/{user_id}"): Role.APP_ADMIN,
    ("DELETE", "/api/apps/{app_id}/members/{user_id}"): Role.APP_ADMIN,
    ("GET", "/api/apps/{app_id}/invites"): Role.APP_ADMIN,
    ("POST", "/api/apps/{app_id}/invites"): Role.APP_ADMIN,
    ("POST", "/api/apps/{app_id}/invites/{invite_id}/resend"): Role.APP_ADMIN,
    ("DELETE", "/api/apps/{app_id}/invites/{invite_id}"): Role.APP_ADMIN,
    ("GET", "/api/apps/{app_id}/audit"): Role.APP_ADMIN,
    ("GET", "/api/apps/{app_id}/audit/verify"): Role.APP_ADMIN,
}

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def declared_routes() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for handler in IDENTITY_ROUTES:
        assert isinstance(handler, HTTPRouteHandler)
        for path in handler.paths:
            for method in handler.http_methods:
                found.add((method, _PARAM.sub(r"{\1}", path)))
    return found


def test_the_expected_table_covers_exactly_the_declared_routes() -> None:
    assert declared_routes() == set(EXPECTED)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with identity_env(tmp_path_factory.mktemp("rbac")) as e:
        yield e


def fill(path: str, app_id: str) -> str:
    return (
        path.replace("{app_id}", app_id)
        .replace("{user_id}", "e" * 24)
        .replace("{invite_id}", "d" * 24)
    )


def call(env: Env, method: str, path: str, headers: dict[str, str]) -> tuple[int, str]:
    kwargs: dict[str, object] = {"headers": headers}
    if method in {"POST", "PATCH"}:
        kwargs["json"] = {}
    r = env.client.request(method, path, **kwargs)  # type: ignore[arg-type]
    return r.status_code, r.text


CASES = [(m, p, who) for (m, p) in EXPECTED for who in [*Role, "outsider", "anonymous"]]


@pytest.mark.parametrize(("method", "template", "who"), CASES)
def test_route_role_matrix(env: Env, method: str, template: str, who: Role | str) -> None:
    owner = env.repos.users.find_one({"email": "owner@example.com"}) or env.user(
        "owner@example.com"
    )
    app = env.repos.apps.find_one({"name": "matrix"})
    app_id = app.id if app else env.app(owner, "matrix")
    headers: dict[str, str] = {}
    if who != "anonymous":
        email = f"{who}@example.com"
        user = env.repos.users.find_one({"email": email}) or env.user(email)
        if (
            isinstance(who, Role)
            and env.repos.memberships.find_one({"app_id": app_id, "user_id": user.id}) is None
        ):
            env.add_member(app_id, user, who)
        headers = env.headers(user)
    status, text = call(env, method, fill(template, app_id), headers)
    minimum = EXPECTED[(method, template)]
    if minimum == PUBLIC:
        assert status not in {401, 403}, text
    elif who == "anonymous":
        assert status == 401, text
    elif minimum == AUTH:
        assert status not in {401, 403}, text
    elif who == "outsider":
        assert status == 403, text
    else:
        assert isinstance(who, Role) and isinstance(minimum, Role)
        if who.at_least(minimum):
            assert status not in {401, 403}, text
            assert "not found: app" not in text
        else:
            assert status == 403, text


def test_ids_from_another_app_are_404_even_for_an_admin_of_both(tmp_path: Path) -> None:
    with identity_env(tmp_path) as env:
        ann = env.user("ann@example.com")
        shop, blog = env.app(ann, "shop"), env.app(ann, "blog")
        headers = env.headers(ann)
        r = env.client.post(
            f"/api/apps/{shop}/invites",
            headers=headers,
            json={"email": "x@example.com", "role": "user"},
        )
        invite_id = r.json()["data"]["id"]
        assert (
            env.client.delete(f"/api/apps/{blog}/invites/{invite_id}", headers=headers).status_code
            == 404
        )
        assert (
            env.client.post(
                f"/api/apps/{blog}/invites/{invite_id}/resend", headers=headers
            ).status_code
            == 404
        )
        shop_env = env.repos.environments.all({"app_id": shop})[0].id
        r = env.client.patch(
            f"/api/apps/{blog}/settings", headers=headers, json={"canonical_env_id": shop_env}
        )
        assert r.status_code == 404
