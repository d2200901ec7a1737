"""Invites of an app (API.md §6)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody

from conman_domain.model import Role
from conman_domain.usecases.invites import InviteView
from conman_http.auth import AuthContext, role_opt, services_of
from conman_http.envelope import ok, ok_list
from conman_http.query import parse_page, strict_query
from conman_http.routes.common import (
    PAGE,
    MessageView,
    api_doc,
    body_of,
    check_id,
    no_body,
    threaded,
)
from conman_http.schemas import CreateInviteBody

__all__ = ["INVITE_ROUTES"]

TAGS = ["invites"]
PATH = "/api/apps/{app_id:str}/invites"
ADMIN = role_opt(Role.APP_ADMIN)


@get(
    PATH, tags=TAGS, opt=ADMIN, operation_class=api_doc(response=InviteView, many=True, query=PAGE)
)
@threaded
def list_invites(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Pending invites (expired ones included), newest first."""
    page = parse_page(strict_query(request, {"page", "limit"}))
    items, total = services_of(request).invites.list_pending(
        auth.require_app(), page.page, page.limit
    )
    return ok_list(items, page, total)


@post(
    PATH,
    status_code=201,
    tags=TAGS,
    opt=ADMIN,
    operation_class=api_doc(body=CreateInviteBody, response=InviteView),
)
@threaded
def create_invite(
    request: Request[Any, Any, Any], body: RawBody, auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Invite an email address with a role; the link is mailed through the outbox."""
    data = body_of(request, body, CreateInviteBody)
    view = services_of(request).invites.create(
        auth.require_app(), auth.user, auth.actor, data.email, data.role
    )
    return ok(view, status_code=201)


@post(
    f"{PATH}/{{invite_id:str}}/resend",
    status_code=200,
    tags=TAGS,
    opt=ADMIN,
    operation_class=api_doc(response=InviteView),
)
@threaded
def resend_invite(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    invite_id: FromPath[str],
) -> Response[bytes]:
    """New token and expiry; the old link stops working."""
    no_body(request, body)
    check_id("invite", invite_id)
    view = services_of(request).invites.resend(auth.require_app(), auth.user, auth.actor, invite_id)
    return ok(view)


@delete(
    f"{PATH}/{{invite_id:str}}",
    status_code=200,
    tags=TAGS,
    opt=ADMIN,
    operation_class=api_doc(response=MessageView),
)
@threaded
def revoke_invite(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext], invite_id: FromPath[str]
) -> Response[bytes]:
    """Delete a pending invite."""
    strict_query(request, ())
    check_id("invite", invite_id)
    services_of(request).invites.revoke(auth.require_app(), auth.actor, invite_id)
    return ok({"message": "invite revoked"})


INVITE_ROUTES = [list_invites, create_invite, resend_invite, revoke_invite]
