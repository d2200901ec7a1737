"""Approvals, deploy, promote, rollback and deployments (API.md §12; DOMAIN.md §14)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody

from conman_domain.errors import FieldError, Validation
from conman_domain.model import DeploymentKind, DeploymentState, Role
from conman_domain.usecases.approvals import ApprovalView
from conman_domain.usecases.deployment_services import DeploymentServices
from conman_domain.usecases.deployment_shapes import DeploymentFilter, DeploymentView
from conman_http.auth import AuthContext, container_of, role_opt
from conman_http.envelope import ok, ok_list
from conman_http.query import parse_page, strict_query
from conman_http.routes.changesets import caller_of
from conman_http.routes.common import (
    NO_STORE,
    PAGE,
    api_doc,
    body_of,
    check_id,
    no_body,
    threaded,
)
from conman_http.schemas.deployments import ApprovalBody, DeployBody, RollbackBody

__all__ = ["DEPLOYMENT_ROUTES"]

TAGS = ["deployments"]
ENV = "/api/apps/{app_id:str}/environments/{env_id:str}"
PATH = "/api/apps/{app_id:str}/deployments"
ONE = f"{PATH}/{{deployment_id:str}}"
CM = role_opt(Role.CONFIG_MANAGER)
REVIEWER = role_opt(Role.REVIEWER)
_LIST_QUERY = (*PAGE, "environment_id", "release_id", "state")


def deployments_of(request: Request[Any, Any, Any]) -> DeploymentServices:
    services: DeploymentServices = container_of(request).deployments()
    return services


def _state(raw: str | None) -> DeploymentState | None:
    if raw is None:
        return None
    try:
        return DeploymentState(raw)
    except ValueError:
        raise Validation("unknown deployment state", [FieldError("state", "unknown")]) from None


@post(
    f"{ENV}/approvals",
    status_code=201,
    tags=TAGS,
    opt=REVIEWER,
    operation_class=api_doc(body=ApprovalBody, response=ApprovalView),
)
@threaded
def issue_approval(
    request: Request[Any, Any, Any],
    env_id: FromPath[str],
    body: RawBody,
    auth: NamedDependency[AuthContext],
) -> Response[bytes]:
    """A single-use deploy-approval token for the caller (reviewer+), shown once."""
    data = body_of(request, body, ApprovalBody)
    check_id("environment", env_id)
    view = deployments_of(request).approvals.issue(
        caller_of(auth), env_id, data.release_id, data.skip_stage
    )
    return ok(view, status_code=201, headers=dict(NO_STORE))


def _request(
    request: Request[Any, Any, Any],
    env_id: str,
    body: bytes,
    auth: AuthContext,
    kind: DeploymentKind,
) -> Response[bytes]:
    data = body_of(request, body, DeployBody)
    check_id("environment", env_id)
    view = deployments_of(request).deployments.request(
        caller_of(auth), env_id, kind, data.release_id, data.skip_stage, data.approval_tokens
    )
    return ok(view, status_code=201)


@post(
    f"{ENV}/deploy",
    status_code=201,
    tags=TAGS,
    opt=CM,
    operation_class=api_doc(body=DeployBody, response=DeploymentView),
)
@threaded
def deploy(
    request: Request[Any, Any, Any],
    env_id: FromPath[str],
    body: RawBody,
    auth: NamedDependency[AuthContext],
) -> Response[bytes]:
    """Deploy a published release to the environment (CM+); enqueues deploy_release."""
    return _request(request, env_id, body, auth, DeploymentKind.DEPLOY)


@post(
    f"{ENV}/promote",
    status_code=201,
    tags=TAGS,
    opt=CM,
    operation_class=api_doc(body=DeployBody, response=DeploymentView),
)
@threaded
def promote(
    request: Request[Any, Any, Any],
    env_id: FromPath[str],
    body: RawBody,
    auth: NamedDependency[AuthContext],
) -> Response[bytes]:
    """Promote a release to the next stage (CM+); enqueues deploy_release."""
    return _request(request, env_id, body, auth, DeploymentKind.PROMOTE)


@post(
    f"{ENV}/rollback",
    status_code=201,
    tags=TAGS,
    opt=CM,
    operation_class=api_doc(body=RollbackBody, response=DeploymentView),
)
@threaded
def rollback(
    request: Request[Any, Any, Any],
    env_id: FromPath[str],
    body: RawBody,
    auth: NamedDependency[AuthContext],
) -> Response[bytes]:
    """Roll the environment back to an earlier release (CM+)."""
    data = body_of(request, body, RollbackBody)
    check_id("environment", env_id)
    view = deployments_of(request).rollback(
        caller_of(auth), env_id, data.mode, data.target_release_id
    )
    return ok(view, status_code=201)


@get(
    PATH,
    tags=TAGS,
    operation_class=api_doc(response=DeploymentView, many=True, query=_LIST_QUERY),
)
@threaded
def list_deployments(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Deployments by created_at descending (any member)."""
    query = strict_query(request, _LIST_QUERY)
    page = parse_page(query)
    flt = DeploymentFilter(
        environment_id=query.get("environment_id"),
        release_id=query.get("release_id"),
        state=_state(query.get("state")),
    )
    items, total = deployments_of(request).deployments.list(
        caller_of(auth), flt, page.page, page.limit
    )
    return ok_list(items, page, total)


@get(ONE, tags=TAGS, operation_class=api_doc(response=DeploymentView))
@threaded
def get_deployment(
    request: Request[Any, Any, Any],
    deployment_id: FromPath[str],
    auth: NamedDependency[AuthContext],
) -> Response[bytes]:
    """One deployment (any member)."""
    strict_query(request, ())
    check_id("deployment", deployment_id)
    return ok(deployments_of(request).deployments.get(caller_of(auth), deployment_id))


@post(
    f"{ONE}/cancel",
    status_code=200,
    tags=TAGS,
    opt=CM,
    operation_class=api_doc(response=DeploymentView),
)
@threaded
def cancel_deployment(
    request: Request[Any, Any, Any],
    deployment_id: FromPath[str],
    body: RawBody,
    auth: NamedDependency[AuthContext],
) -> Response[bytes]:
    """pending → canceled; running → cancel requested (CM+)."""
    no_body(request, body)
    check_id("deployment", deployment_id)
    return ok(deployments_of(request).deployments.cancel(caller_of(auth), deployment_id))


DEPLOYMENT_ROUTES = [
    issue_approval,
    deploy,
    promote,
    rollback,
    list_deployments,
    get_deployment,
    cancel_deployment,
]
