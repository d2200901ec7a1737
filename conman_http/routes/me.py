"""The caller's own account (API.md §5)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch
from litestar.di import NamedDependency
from litestar.params import RawBody

from conman_domain.usecases.me import MeView, PreferenceView
from conman_http.auth import AuthContext, services_of
from conman_http.envelope import ok
from conman_http.query import strict_query
from conman_http.routes.common import api_doc, body_of, threaded
from conman_http.schemas import PreferencesBody

__all__ = ["ME_ROUTES"]

TAGS = ["me"]


@get("/api/me", tags=TAGS, operation_class=api_doc(response=MeView))
@threaded
def me(request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]) -> Response[bytes]:
    """The caller with their memberships."""
    strict_query(request, ())
    return ok(services_of(request).me.me(auth.user))


@get(
    "/api/me/notification-preferences",
    tags=TAGS,
    operation_class=api_doc(response=PreferenceView),
)
@threaded
def get_preferences(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """The caller's email preference (enabled when never set)."""
    strict_query(request, ())
    return ok(services_of(request).me.preferences(auth.user))


@patch(
    "/api/me/notification-preferences",
    tags=TAGS,
    operation_class=api_doc(body=PreferencesBody, response=PreferenceView),
)
@threaded
def set_preferences(
    request: Request[Any, Any, Any], body: RawBody, auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Turn notification mails on or off (invite and reset mails always go out)."""
    data = body_of(request, body, PreferencesBody)
    view = services_of(request).me.set_preferences(auth.user, data.email_enabled, auth.actor)
    return ok(view)


ME_ROUTES = [me, get_preferences, set_preferences]
