"""Platform routes (API.md §3): health, metrics and the offline API explorer.

None of these responses is enveloped. ``/api/openapi.json`` itself is served by
Litestar's OpenAPI plugin (configured in ``conman_http.app``).
"""

from __future__ import annotations

from importlib.resources import files

import anyio.to_thread
from litestar import Response, get, head
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from conman_adapters.metrics import ConmanMetrics
from conman_domain.usecases.health import CheckHealth, HealthReport
from conman_http.errors import JSON_MEDIA_TYPE

__all__ = ["DOCS_HTML", "PLATFORM_ROUTES"]

# Litestar appends "; charset=utf-8" to text media types.
METRICS_MEDIA_TYPE = "text/plain; version=0.0.4"
DOCS_HTML: bytes = files("conman_http").joinpath("docs.html").read_bytes()


@get(
    "/api/health",
    tags=["platform"],
    summary="Component health for load balancers",
    responses={503: ResponseSpec(HealthReport, description="The database is unhealthy")},
)
async def health(check_health: NamedDependency[CheckHealth]) -> Response[HealthReport]:
    """Database, git and job-runner status; 503 only when the database is unhealthy."""
    # Async handlers that push the blocking probe to a thread: GET and HEAD share
    # this path, and two sync_to_thread handlers on one path trip a Litestar 2.25
    # bug when app-wide dependencies exist (see routes/common.threaded).
    report = await anyio.to_thread.run_sync(check_health)
    return Response(
        report,
        status_code=503 if report.database_unhealthy else 200,
        media_type=JSON_MEDIA_TYPE,
    )


@head("/api/health", tags=["platform"], summary="Health status only, for HEAD probes")
async def health_head(check_health: NamedDependency[CheckHealth]) -> Response[None]:
    """The status code of ``GET /api/health`` without the body."""
    report = await anyio.to_thread.run_sync(check_health)
    return Response(None, status_code=503 if report.database_unhealthy else 200)


@get(
    "/api/metrics",
    sync_to_thread=False,
    tags=["platform"],
    summary="Prometheus metrics",
    media_type=METRICS_MEDIA_TYPE,
)
def metrics(conman_metrics: NamedDependency[ConmanMetrics]) -> Response[bytes]:
    """Prometheus text format, version 0.0.4."""
    return Response(conman_metrics.render(), media_type=METRICS_MEDIA_TYPE)


@get("/api/docs", sync_to_thread=False, include_in_schema=False, media_type="text/html")
def docs() -> Response[bytes]:
    """A self-contained explorer (no CDN assets) that renders ``/api/openapi.json``."""
    return Response(DOCS_HTML, media_type="text/html")


PLATFORM_ROUTES = [health, health_head, metrics, docs]
