"""Jobs of an app: list, read, logs, cancel, retry (API.md §14)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody

from conman_domain.model import Role
from conman_domain.usecases.job_shapes import JobLogView, JobView, parse_job_filter
from conman_domain.usecases.jobs import JobsService
from conman_http.auth import AuthContext, container_of, role_opt
from conman_http.envelope import ok, ok_list
from conman_http.query import JOB_LOG_LIMITS, parse_page, strict_query
from conman_http.routes.common import PAGE, api_doc, check_id, no_body, threaded

__all__ = ["JOB_ROUTES"]

TAGS = ["jobs"]
PATH = "/api/apps/{app_id:str}/jobs"
_FILTERS = {"type", "state", "entity_type", "entity_id"}


def _jobs(request: Request[Any, Any, Any]) -> JobsService:
    service: JobsService = container_of(request).jobs()
    return service


@get(
    PATH,
    tags=TAGS,
    operation_class=api_doc(response=JobView, many=True, query=(*PAGE, *sorted(_FILTERS))),
)
@threaded
def list_jobs(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Jobs of the app, newest first; ``type`` and ``state`` take comma lists."""
    query = strict_query(request, {"page", "limit", *_FILTERS})
    page = parse_page(query)
    flt = parse_job_filter(
        query.get("type"), query.get("state"), query.get("entity_type"), query.get("entity_id")
    )
    items, total = _jobs(request).list(auth.require_app().id, flt, page.page, page.limit)
    return ok_list(items, page, total)


@get(f"{PATH}/{{job_id:str}}", tags=TAGS, operation_class=api_doc(response=JobView))
@threaded
def get_job(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext], job_id: FromPath[str]
) -> Response[bytes]:
    """One job (404 for a job of another app)."""
    strict_query(request, ())
    check_id("job", job_id)
    return ok(_jobs(request).get(auth.require_app().id, job_id))


@get(
    f"{PATH}/{{job_id:str}}/logs",
    tags=TAGS,
    operation_class=api_doc(response=JobLogView, many=True, query=PAGE),
)
@threaded
def job_logs(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext], job_id: FromPath[str]
) -> Response[bytes]:
    """The job's log lines in seq order (limit default 100, at most 1000)."""
    page = parse_page(strict_query(request, {"page", "limit"}), JOB_LOG_LIMITS)
    check_id("job", job_id)
    items, total = _jobs(request).logs(auth.require_app().id, job_id, page.page, page.limit)
    return ok_list(items, page, total)


@post(
    f"{PATH}/{{job_id:str}}/cancel",
    status_code=200,
    tags=TAGS,
    operation_class=api_doc(response=JobView),
)
@threaded
def cancel_job(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    job_id: FromPath[str],
) -> Response[bytes]:
    """Cancel a queued job at once, or ask a running one to stop (CM+ or its creator)."""
    strict_query(request, ())
    no_body(request, body)
    check_id("job", job_id)
    view = _jobs(request).cancel(auth.require_app().id, job_id, auth.actor, auth.role)
    return ok(view)


@post(
    f"{PATH}/{{job_id:str}}/retry",
    status_code=202,
    tags=TAGS,
    opt=role_opt(Role.CONFIG_MANAGER),
    operation_class=api_doc(response=JobView),
)
@threaded
def retry_job(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    job_id: FromPath[str],
) -> Response[bytes]:
    """Re-enqueue a failed or canceled job of a retryable type as a new job (CM+)."""
    strict_query(request, ())
    no_body(request, body)
    check_id("job", job_id)
    view = _jobs(request).retry(auth.require_app().id, job_id, auth.actor, auth.role)
    return ok(view, status_code=202)


JOB_ROUTES = [list_jobs, get_job, job_logs, cancel_job, retry_job]
