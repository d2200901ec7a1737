"""Auth routes (API.md §4.2): login, logout, forgot/reset password, accept-invite."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import RawBody

from conman_domain.usecases.auth import SessionToken
from conman_http.auth import AuthContext, actor_of, services_of
from conman_http.envelope import ok
from conman_http.routes.common import (
    NO_STORE,
    MessageView,
    api_doc,
    body_of,
    no_body,
    threaded,
)
from conman_http.schemas import (
    AcceptInviteBody,
    ForgotPasswordBody,
    LoginBody,
    ResetPasswordBody,
)

__all__ = ["AUTH_ROUTES"]

FORGOT_MESSAGE = "if an account exists, a reset email has been sent"
TAGS = ["auth"]


@post(
    "/api/auth/login",
    status_code=200,
    tags=TAGS,
    operation_class=api_doc(body=LoginBody, response=SessionToken),
)
@threaded
def login(request: Request[Any, Any, Any], body: RawBody) -> Response[bytes]:
    """Exchange email and password for an access token (public)."""
    data = body_of(request, body, LoginBody)
    session = services_of(request).auth.login(data.email, data.password, actor_of(request))
    return ok(session, headers=NO_STORE)


@post("/api/auth/logout", status_code=200, tags=TAGS, operation_class=api_doc(response=MessageView))
@threaded
def logout(
    request: Request[Any, Any, Any], body: RawBody, auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Revoke the presented token until its expiry."""
    no_body(request, body)
    services_of(request).auth.logout(auth.user, auth.claims, auth.actor)
    return ok({"message": "logged out"})


@post(
    "/api/auth/forgot-password",
    status_code=200,
    tags=TAGS,
    operation_class=api_doc(body=ForgotPasswordBody, response=MessageView),
)
@threaded
def forgot_password(request: Request[Any, Any, Any], body: RawBody) -> Response[bytes]:
    """Always the same answer; the reset link is mailed to an existing account only."""
    data = body_of(request, body, ForgotPasswordBody)
    services_of(request).auth.forgot_password(data.email, actor_of(request))
    return ok({"message": FORGOT_MESSAGE})


@post(
    "/api/auth/reset-password",
    status_code=200,
    tags=TAGS,
    operation_class=api_doc(body=ResetPasswordBody, response=MessageView),
)
@threaded
def reset_password(request: Request[Any, Any, Any], body: RawBody) -> Response[bytes]:
    """Set a new password with a mailed single-use token."""
    data = body_of(request, body, ResetPasswordBody)
    services_of(request).auth.reset_password(data.token, data.new_password, actor_of(request))
    return ok({"message": "password updated"})


@post(
    "/api/auth/accept-invite",
    status_code=200,
    tags=TAGS,
    operation_class=api_doc(body=AcceptInviteBody, response=SessionToken),
)
@threaded
def accept_invite(request: Request[Any, Any, Any], body: RawBody) -> Response[bytes]:
    """Accept a mailed invite: create or reuse the account, join the app, get a token."""
    data = body_of(request, body, AcceptInviteBody)
    name = data.name if isinstance(data.name, str) else None
    session = services_of(request).invites.accept(
        data.token, data.password, name, actor_of(request)
    )
    return ok(session, headers=NO_STORE)


AUTH_ROUTES = [login, logout, forgot_password, reset_password, accept_invite]
