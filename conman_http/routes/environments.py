"""Environments of an app (API.md §6)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch
from litestar.di import NamedDependency
from litestar.params import RawBody

from conman_domain.model import Role
from conman_domain.rules import EnvironmentEntry
from conman_domain.usecases.environments import EnvironmentView
from conman_http.auth import AuthContext, role_opt, services_of
from conman_http.envelope import ok
from conman_http.query import strict_query
from conman_http.routes.common import api_doc, body_of, threaded
from conman_http.schemas import EnvironmentsBody

__all__ = ["ENVIRONMENT_ROUTES"]

TAGS = ["environments"]
PATH = "/api/apps/{app_id:str}/environments"


@get(PATH, tags=TAGS, operation_class=api_doc(response=list[EnvironmentView]))
@threaded
def list_environments(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Every environment of the app by position (not paginated)."""
    strict_query(request, ())
    return ok(services_of(request).environments.sorted_list(auth.require_app()))


@patch(
    PATH,
    tags=TAGS,
    opt=role_opt(Role.APP_ADMIN),
    operation_class=api_doc(body=EnvironmentsBody, response=list[EnvironmentView]),
)
@threaded
def replace_environments(
    request: Request[Any, Any, Any], body: RawBody, auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Replace the whole environment list (app_admin)."""
    data = body_of(request, body, EnvironmentsBody)
    entries = [
        EnvironmentEntry(
            id=e.id,
            name=e.name,
            position=e.position,
            is_canonical=e.is_canonical,
            runtime_profile_id=e.runtime_profile_id
            if isinstance(e.runtime_profile_id, str)
            else None,
        )
        for e in data.environments
    ]
    views = services_of(request).environments.replace(auth.require_app(), auth.actor, entries)
    return ok(views)


ENVIRONMENT_ROUTES = [list_environments, replace_environments]
