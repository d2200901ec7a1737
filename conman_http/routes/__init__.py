"""Identity and app-administration routes (API.md §4-§6, §15)."""

from conman_http.routes.apps import APPS_ROUTES
from conman_http.routes.audit import AUDIT_ROUTES
from conman_http.routes.auth import AUTH_ROUTES
from conman_http.routes.environments import ENVIRONMENT_ROUTES
from conman_http.routes.invites import INVITE_ROUTES
from conman_http.routes.me import ME_ROUTES
from conman_http.routes.members import MEMBER_ROUTES
from conman_http.routes.pages import PAGE_ROUTES

IDENTITY_ROUTES = [
    *AUTH_ROUTES,
    *ME_ROUTES,
    *APPS_ROUTES,
    *ENVIRONMENT_ROUTES,
    *MEMBER_ROUTES,
    *INVITE_ROUTES,
    *AUDIT_ROUTES,
    *PAGE_ROUTES,
]

__all__ = ["IDENTITY_ROUTES"]
