"""Members of an app (API.md §6)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, patch
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody
from msgspec import UNSET

from conman_domain.errors import Forbidden
from conman_domain.model import Role
from conman_domain.usecases.members import CommitModeView, MemberView
from conman_http.auth import AuthContext, role_opt, services_of
from conman_http.envelope import ok, ok_list
from conman_http.query import parse_page, strict_query
from conman_http.routes.common import (
    PAGE,
    MessageView,
    api_doc,
    body_of,
    check_id,
    threaded,
)
from conman_http.schemas import CommitModeBody, RoleBody

__all__ = ["MEMBER_ROUTES"]

TAGS = ["members"]
PATH = "/api/apps/{app_id:str}/members"


@get(PATH, tags=TAGS, operation_class=api_doc(response=MemberView, many=True, query=PAGE))
@threaded
def list_members(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Members by joined_at ascending."""
    page = parse_page(strict_query(request, {"page", "limit"}))
    items, total = services_of(request).members.list(auth.require_app(), page.page, page.limit)
    return ok_list(items, page, total)


@patch(
    f"{PATH}/me",
    tags=TAGS,
    operation_class=api_doc(body=CommitModeBody, response=CommitModeView),
)
@threaded
def set_own_commit_mode(
    request: Request[Any, Any, Any], body: RawBody, auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """The caller's own commit mode (null = the app default)."""
    data = body_of(request, body, CommitModeBody)
    if data.role is not UNSET:
        raise Forbidden("members cannot change their own role")
    assert auth.membership is not None
    view = services_of(request).members.set_commit_mode(
        auth.require_app(), auth.membership, data.commit_mode, auth.actor
    )
    return ok(view)


@patch(
    f"{PATH}/{{user_id:str}}",
    tags=TAGS,
    opt=role_opt(Role.APP_ADMIN),
    operation_class=api_doc(body=RoleBody, response=MemberView),
)
@threaded
def change_role(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    user_id: FromPath[str],
) -> Response[bytes]:
    """Change a member's role (app_admin; never one's own, never the last app_admin)."""
    data = body_of(request, body, RoleBody)
    check_id("member", user_id)
    view = services_of(request).members.change_role(
        auth.require_app(), auth.actor, user_id, data.role
    )
    return ok(view)


@delete(
    f"{PATH}/{{user_id:str}}",
    status_code=200,
    tags=TAGS,
    opt=role_opt(Role.APP_ADMIN),
    operation_class=api_doc(response=MessageView),
)
@threaded
def remove_member(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext], user_id: FromPath[str]
) -> Response[bytes]:
    """Remove a member (app_admin; never the last app_admin)."""
    strict_query(request, ())
    check_id("member", user_id)
    services_of(request).members.remove(auth.require_app(), auth.actor, user_id)
    return ok({"message": "member removed"})


MEMBER_ROUTES = [list_members, set_own_commit_mode, change_role, remove_member]
