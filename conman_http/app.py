"""``create_app(container)``: the Litestar application (API.md §1, §3)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from litestar import Litestar, Router
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import Provide
from litestar.enums import MediaType
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.types import ControllerRouterHandler

from conman_adapters.container import Container
from conman_adapters.metrics import ConmanMetrics
from conman_domain.usecases.health import CheckHealth
from conman_http.auth import AUTH_DEPENDENCY
from conman_http.context import HttpRuntime, before_send, request_context_middleware
from conman_http.errors import handle_exception
from conman_http.platform import PLATFORM_ROUTES
from conman_http.ratelimit import rate_limit_middleware
from conman_http.routes import IDENTITY_ROUTES
from conman_http.routes.changesets import CHANGESET_ROUTES
from conman_http.routes.comments import COMMENT_ROUTES
from conman_http.routes.deployments import DEPLOYMENT_ROUTES
from conman_http.routes.diffs import DIFF_ROUTES
from conman_http.routes.drift import DRIFT_ROUTES
from conman_http.routes.files import FILE_ROUTES
from conman_http.routes.jobs import JOB_ROUTES
from conman_http.routes.overrides import OVERRIDE_ROUTES
from conman_http.routes.profiles import PROFILE_ROUTES
from conman_http.routes.queue import QUEUE_ROUTES
from conman_http.routes.releases import RELEASE_ROUTES
from conman_http.routes.temp_envs import TEMP_ENV_ROUTES
from conman_http.routes.workspaces import WORKSPACE_ROUTES

__all__ = ["create_app"]


OPENAPI_PATH = "/api/openapi.json"


def _only_the_schema(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    # The OpenAPI plugin also registers helper routes below its path (an HTML
    # "not found" page, a second JSON copy); they must look like any unknown route.
    if connection.scope["path"].rstrip("/") != OPENAPI_PATH:
        raise NotFoundException()


def _openapi(version: str) -> OpenAPIConfig:
    # Litestar's render plugins load their UI from CDNs, and its default router adds
    # a catch-all under its path; so only the JSON plugin is used, mounted exactly at
    # /api/openapi.json, and /api/docs is our own offline page.
    return OpenAPIConfig(
        title="Conman",
        version=version,
        description="Git-backed configuration manager. Envelopes and errors: API.md §1.",
        openapi_router=Router(
            OPENAPI_PATH, route_handlers=[], include_in_schema=False, guards=[_only_the_schema]
        ),
        render_plugins=[JsonRenderPlugin(path="/", media_type=MediaType.JSON)],
    )


def create_app(
    container: Container,
    extra_routes: Sequence[ControllerRouterHandler] = (),
    on_shutdown: Sequence[Callable[[], object]] = (),
) -> Litestar:
    """Build the app over ``container`` (the composition root); no I/O happens here.

    ``extra_routes`` are added after the platform routes; ``on_shutdown`` hooks run
    when the server stops (the CLI closes the store there).
    """
    runtime = HttpRuntime(
        ids=container.ids(),
        clock=container.clock(),
        metrics=container.metrics(),
        trusted_proxies=container.settings().trusted_networks(),
    )

    def provide_health() -> CheckHealth:
        health: CheckHealth = container.health()
        return health

    def provide_metrics() -> ConmanMetrics:
        return runtime.metrics

    dependencies: dict[str, Any] = {
        "check_health": Provide(provide_health, sync_to_thread=False),
        "conman_metrics": Provide(provide_metrics, sync_to_thread=False),
        "auth": AUTH_DEPENDENCY,  # bearer auth + role guard (conman_http.auth)
    }
    return Litestar(
        route_handlers=[
            *PLATFORM_ROUTES,
            *IDENTITY_ROUTES,
            *JOB_ROUTES,
            *CHANGESET_ROUTES,
            *QUEUE_ROUTES,
            *RELEASE_ROUTES,
            *COMMENT_ROUTES,
            *OVERRIDE_ROUTES,
            *PROFILE_ROUTES,
            *WORKSPACE_ROUTES,
            *FILE_ROUTES,
            *DIFF_ROUTES,
            *TEMP_ENV_ROUTES,
            *DRIFT_ROUTES,
            *DEPLOYMENT_ROUTES,
            *extra_routes,
        ],
        dependencies=dependencies,
        exception_handlers={Exception: handle_exception},
        middleware=[request_context_middleware, rate_limit_middleware],
        before_send=[before_send],
        openapi_config=_openapi(container.version()),
        request_max_body_size=None,  # checked by request_context_middleware (413 envelope)
        logging_config=None,  # JSON logging is configured by the CLI
        state=State({"conman_runtime": runtime, "container": container}),
        on_shutdown=list(on_shutdown),
    )
