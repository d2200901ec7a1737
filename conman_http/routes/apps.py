"""Apps and settings (API.md §6)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import RawBody

from conman_domain.model import Role
from conman_domain.usecases.apps import AppView, app_view
from conman_http.auth import AuthContext, role_opt, services_of
from conman_http.envelope import ok, ok_list
from conman_http.query import parse_page, strict_query
from conman_http.routes.common import PAGE, api_doc, body_of, threaded
from conman_http.schemas import CreateAppBody, SettingsPatch

__all__ = ["APPS_ROUTES"]

TAGS = ["apps"]
APP = "/api/apps/{app_id:str}"


@get("/api/apps", tags=TAGS, operation_class=api_doc(response=AppView, many=True, query=PAGE))
@threaded
def list_apps(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """The caller's apps, by name."""
    page = parse_page(strict_query(request, {"page", "limit"}))
    items, total = services_of(request).apps.list_for(auth.user, page.page, page.limit)
    return ok_list(items, page, total)


@post(
    "/api/apps",
    status_code=201,
    tags=TAGS,
    operation_class=api_doc(body=CreateAppBody, response=AppView),
)
@threaded
def create_app_route(
    request: Request[Any, Any, Any], body: RawBody, auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Create an app and its repository; the caller becomes its app_admin."""
    data = body_of(request, body, CreateAppBody)
    view = services_of(request).apps.create(
        auth.user,
        auth.actor,
        name=data.name,
        repo_path=data.repo_path,
        integration_branch=data.integration_branch,
    )
    return ok(view, status_code=201)


@get(APP, tags=TAGS, operation_class=api_doc(response=AppView))
@threaded
def get_app(request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]) -> Response[bytes]:
    """One app with the caller's role."""
    strict_query(request, ())
    return ok(app_view(auth.require_app(), auth.role))


@patch(
    f"{APP}/settings",
    tags=TAGS,
    opt=role_opt(Role.APP_ADMIN),
    operation_class=api_doc(body=SettingsPatch, response=AppView),
)
@threaded
def patch_settings(
    request: Request[Any, Any, Any], body: RawBody, auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Partial update of the app settings (app_admin)."""
    data = body_of(request, body, SettingsPatch)
    changes: dict[str, Any] = msgspec.to_builtins(data)
    view = services_of(request).apps.update_settings(
        auth.require_app(), auth.actor, changes, auth.role
    )
    return ok(view)


APPS_ROUTES = [list_apps, create_app_route, get_app, patch_settings]
