"""Runtime-profile drift of an environment (API.md §12: drift, drift/check,
create-drift-fix-changeset; DOMAIN.md §15.9, §15.10). Secrets appear as keys or masked
previews only."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody

from conman_domain.model import Role
from conman_domain.usecases.drift import DriftService
from conman_domain.usecases.drift_fix import DriftFix, DriftFixView
from conman_domain.usecases.drift_report import DriftReportView
from conman_domain.usecases.job_shapes import JobView, job_view
from conman_http.auth import AuthContext, container_of, role_opt
from conman_http.envelope import ok
from conman_http.query import strict_query
from conman_http.routes.changesets import caller_of
from conman_http.routes.common import api_doc, check_id, no_body, threaded

__all__ = ["DRIFT_ROUTES"]

TAGS = ["environments"]
ENV = "/api/apps/{app_id:str}/environments/{env_id:str}"
_CM = role_opt(Role.CONFIG_MANAGER)
_REPORT_QUERY = ("release_id",)


def drift_of(request: Request[Any, Any, Any]) -> DriftService:
    service: DriftService = container_of(request).drift()
    return service


def drift_fix_of(request: Request[Any, Any, Any]) -> DriftFix:
    service: DriftFix = container_of(request).drift_fix()
    return service


@get(
    f"{ENV}/drift",
    tags=TAGS,
    operation_class=api_doc(response=DriftReportView, query=_REPORT_QUERY),
)
@threaded
def get_drift(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext], env_id: FromPath[str]
) -> Response[bytes]:
    """The DriftReport (any member); ``release_id`` picks the desired migrations."""
    query = strict_query(request, _REPORT_QUERY)
    check_id("environment", env_id)
    release_id = query.get("release_id")
    if release_id is not None:
        check_id("release", release_id)
    service = drift_of(request)
    app = auth.require_app()
    return ok(service.report(app, service.environment(app, env_id), release_id))


@post(
    f"{ENV}/drift/check",
    status_code=202,
    tags=TAGS,
    opt=_CM,
    operation_class=api_doc(response=JobView),
)
@threaded
def check_drift(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    env_id: FromPath[str],
) -> Response[bytes]:
    """Enqueue a drift check, or return the queued or running one (CM+)."""
    no_body(request, body)
    check_id("environment", env_id)
    service = drift_of(request)
    caller = caller_of(auth)
    job = service.request_check(caller, service.environment(caller.app, env_id))
    return ok(job_view(job), status_code=202)


@post(
    f"{ENV}/create-drift-fix-changeset",
    tags=TAGS,
    opt=_CM,
    operation_class=api_doc(response=DriftFixView),
)
@threaded
def create_drift_fix(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    env_id: FromPath[str],
) -> Response[bytes]:
    """A workspace, a draft changeset and an override pinning the desired state (CM+)."""
    no_body(request, body)
    check_id("environment", env_id)
    caller = caller_of(auth)
    env = drift_of(request).environment(caller.app, env_id)
    return ok(drift_fix_of(request)(caller, env), status_code=201)


DRIFT_ROUTES = [get_drift, check_drift, create_drift_fix]
