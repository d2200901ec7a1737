"""Temp environments (API.md §13): create, list, read, extend, undo-expire, touch and
delete. Creator or CM+ may extend, undo and delete; any member may do the rest."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody

from conman_domain.errors import FieldError, Validation
from conman_domain.model import TempEnvState
from conman_domain.usecases.temp_env_shapes import TempEnvDeps, TempEnvView
from conman_domain.usecases.temp_envs import TempEnvFilter, TempEnvService
from conman_http.auth import AuthContext, container_of
from conman_http.envelope import ok, ok_list
from conman_http.query import parse_page, strict_query
from conman_http.routes.changesets import caller_of
from conman_http.routes.common import api_doc, body_of, check_id, no_body, threaded
from conman_http.schemas.temp_envs import CreateTempEnvBody, ExtendTempEnvBody

__all__ = ["TEMP_ENV_ROUTES"]

TAGS = ["temp-envs"]
PATH = "/api/apps/{app_id:str}/temp-envs"
ONE = f"{PATH}/{{temp_env_id:str}}"
_LIST_QUERY = ("page", "limit", "state", "include_deleted")


def temp_envs_of(request: Request[Any, Any, Any]) -> TempEnvService:
    """The temp env use cases over the process's temp env dependencies (stateless)."""
    deps: TempEnvDeps = container_of(request).temp_env_deps()
    return TempEnvService(deps)


def _filter(query: dict[str, str]) -> TempEnvFilter:
    states: list[TempEnvState] = []
    for raw in filter(None, query.get("state", "").split(",")):
        try:
            states.append(TempEnvState(raw))
        except ValueError:
            raise Validation(f"unknown state {raw!r}", [FieldError("state", "unknown")]) from None
    flag = query.get("include_deleted", "false")
    if flag not in ("true", "false"):
        raise Validation(
            "include_deleted must be true or false",
            [FieldError("include_deleted", "not a boolean")],
        )
    return TempEnvFilter(states=tuple(states), include_deleted=flag == "true")


@post(
    PATH,
    status_code=201,
    tags=TAGS,
    operation_class=api_doc(body=CreateTempEnvBody, response=TempEnvView),
)
@threaded
def create_temp_env(
    request: Request[Any, Any, Any], body: RawBody, auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """A provisioning temp env of a workspace or changeset (any member)."""
    data = body_of(request, body, CreateTempEnvBody)
    view = temp_envs_of(request).create(caller_of(auth), data.to_request())
    return ok(view, status_code=201)


@get(PATH, tags=TAGS, operation_class=api_doc(response=TempEnvView, many=True, query=_LIST_QUERY))
@threaded
def list_temp_envs(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Temp envs by created_at descending; ``state`` takes a comma-separated list."""
    query = strict_query(request, _LIST_QUERY)
    page = parse_page(query)
    items, total = temp_envs_of(request).list(
        caller_of(auth), _filter(query), page.page, page.limit
    )
    return ok_list(items, page, total)


@get(ONE, tags=TAGS, operation_class=api_doc(response=TempEnvView))
@threaded
def get_temp_env(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext], temp_env_id: FromPath[str]
) -> Response[bytes]:
    strict_query(request, ())
    check_id("temp environment", temp_env_id)
    return ok(temp_envs_of(request).get(caller_of(auth), temp_env_id))


@post(
    f"{ONE}/extend",
    status_code=200,
    tags=TAGS,
    operation_class=api_doc(body=ExtendTempEnvBody, response=TempEnvView),
)
@threaded
def extend_temp_env(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    temp_env_id: FromPath[str],
) -> Response[bytes]:
    """``expires_at += hours`` (creator or CM+)."""
    check_id("temp environment", temp_env_id)
    data = body_of(request, body, ExtendTempEnvBody) if body.strip() else ExtendTempEnvBody()
    if not body.strip():
        strict_query(request, ())
    return ok(temp_envs_of(request).extend(caller_of(auth), temp_env_id, data.hours))


@post(
    f"{ONE}/undo-expire", status_code=200, tags=TAGS, operation_class=api_doc(response=TempEnvView)
)
@threaded
def undo_expire_temp_env(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    temp_env_id: FromPath[str],
) -> Response[bytes]:
    """expiring → active before grace_until (creator or CM+)."""
    check_id("temp environment", temp_env_id)
    no_body(request, body)
    return ok(temp_envs_of(request).undo_expire(caller_of(auth), temp_env_id))


@post(f"{ONE}/touch", status_code=200, tags=TAGS, operation_class=api_doc(response=TempEnvView))
@threaded
def touch_temp_env(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    temp_env_id: FromPath[str],
) -> Response[bytes]:
    """Activity touch of an active temp env (any member)."""
    check_id("temp environment", temp_env_id)
    no_body(request, body)
    return ok(temp_envs_of(request).touch(caller_of(auth), temp_env_id))


@delete(ONE, status_code=204, tags=TAGS)
@threaded
def delete_temp_env(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext], temp_env_id: FromPath[str]
) -> None:
    """active or expiring → deleted; cleanup enqueued (creator or CM+)."""
    strict_query(request, ())
    check_id("temp environment", temp_env_id)
    temp_envs_of(request).delete(caller_of(auth), temp_env_id)


TEMP_ENV_ROUTES = [
    create_temp_env,
    list_temp_envs,
    get_temp_env,
    extend_temp_env,
    undo_expire_temp_env,
    touch_temp_env,
    delete_temp_env,
]
