"""Bearer authentication and the per-route role guard (API.md §1.4 steps 4-8, §1.10).

Every protected handler declares ``auth: AuthContext`` (the ``auth`` dependency is
registered app-wide by ``create_app``). Resolving it:

4. checks the bearer token (401 ``unauthorized``);
5. applies the per-user rate limits (429) and remembers the ``X-RateLimit-*`` values;
6. for a path with an ``{app_id}`` parameter, loads the app (404, also for a malformed id);
7. loads the caller's membership from the store, on every request (403 for non-members);
8. checks the route's minimum role, ``opt={"min_role": Role.X}`` (default: any member).

Routes outside an app (``/api/me``, ``/api/apps``) get ``app``/``membership`` None.
Other work streams reuse this: declare ``auth: AuthContext`` and set ``min_role``
with ``role_opt(Role.X)``; the app id path parameter must be named ``app_id``.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.di import Provide

from conman_adapters.container import Container
from conman_domain.errors import Forbidden, NotFound, RateLimited, Unauthorized
from conman_domain.model import App, AuditContext, Membership, Role, User
from conman_domain.ports.security import AccessClaims
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.services import IdentityServices
from conman_http.client_ip import client_ip
from conman_http.context import request_context, runtime_of
from conman_http.ratelimit import WRITE_METHODS, limiters_of, remember_decision

__all__ = [
    "AUTH_DEPENDENCY",
    "MIN_ROLE_OPT",
    "AuthContext",
    "actor_of",
    "container_of",
    "provide_auth",
    "role_opt",
    "services_of",
]

MIN_ROLE_OPT = "min_role"
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")


class AuthContext:
    """The authenticated caller of one request and, under an app, the app and role."""

    __slots__ = ("actor", "app", "claims", "membership", "user")

    def __init__(
        self,
        *,
        user: User,
        claims: AccessClaims,
        actor: Actor,
        app: App | None = None,
        membership: Membership | None = None,
    ) -> None:
        self.user = user
        self.claims = claims
        self.actor = actor
        self.app = app
        self.membership = membership

    @property
    def role(self) -> Role | None:
        return None if self.membership is None else Role(self.membership.role)

    def require_app(self) -> App:
        """The app of an ``{app_id}`` route (a programming error elsewhere)."""
        if self.app is None:
            raise RuntimeError("this route has no {app_id} parameter")
        return self.app


def role_opt(minimum: Role) -> dict[str, Any]:
    """The route ``opt`` that sets its minimum role (step 8)."""
    return {MIN_ROLE_OPT: minimum}


def container_of(request: Request[Any, Any, Any]) -> Container:
    container: Container = request.app.state["container"]
    return container


def services_of(request: Request[Any, Any, Any]) -> IdentityServices:
    services: IdentityServices = container_of(request).identity()
    return services


def actor_of(request: Request[Any, Any, Any], user_id: str | None = None) -> Actor:
    """The audit actor and request context (ip per CONMAN_TRUSTED_PROXIES, agent, id)."""
    context = AuditContext(
        ip=client_ip(request) or None,
        user_agent=request.headers.get("user-agent"),
        request_id=request_context(request.scope).request_id,
    )
    return Actor(user_id=user_id, context=context)


def _bearer(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization")
    if header is None:
        raise Unauthorized("missing bearer token")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("malformed authorization header")
    return token.strip()


def _rate_limit(request: Request[Any, Any, Any], user_id: str) -> None:
    runtime = runtime_of(request.scope)
    limiters = limiters_of(request.scope)
    now = runtime.clock.now()
    general = limiters.user.hit(user_id, now)
    remember_decision(request.scope, general)
    refused = None if general.allowed else general
    if refused is None and request.method in WRITE_METHODS:
        writes = limiters.writes.hit(user_id, now)
        refused = None if writes.allowed else writes
    if refused is not None:
        runtime.metrics.rate_limited.inc()
        raise RateLimited(refused.retry_after_seconds or 1)


def provide_auth(request: Request[Any, Any, Any]) -> AuthContext:
    """Steps 4-8 of API.md §1.4 for the current request (see the module docstring)."""
    services = services_of(request)
    try:
        user, claims = services.auth.authenticate(_bearer(request))
    except Unauthorized:
        runtime_of(request.scope).metrics.auth_failures.inc()
        raise
    _rate_limit(request, user.id)
    actor = actor_of(request, user.id)
    app_id = request.path_params.get("app_id")
    if app_id is None:
        return AuthContext(user=user, claims=claims, actor=actor)
    if not isinstance(app_id, str) or not _OBJECT_ID.fullmatch(app_id):
        raise NotFound("app", str(app_id))
    repos = services.deps.repos
    app = repos.apps.find_one({"id": app_id})
    if app is None:
        raise NotFound("app", app_id)
    membership = repos.memberships.find_one({"app_id": app_id, "user_id": user.id})
    if membership is None:
        raise Forbidden("not a member of this app")
    handler = request.scope.get("route_handler")
    minimum = (getattr(handler, "opt", None) or {}).get(MIN_ROLE_OPT, Role.USER)
    if not Role(membership.role).at_least(minimum):
        raise Forbidden(f"requires role {Role(minimum).value}")
    return AuthContext(user=user, claims=claims, actor=actor, app=app, membership=membership)


AUTH_DEPENDENCY = Provide(provide_auth, sync_to_thread=True)
