"""Releases: list, create, read, members, reorder, assemble and publish (API.md §11)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody

from conman_domain.model import Role
from conman_domain.usecases.release_input import parse_release_state
from conman_domain.usecases.release_services import ReleaseServices
from conman_domain.usecases.release_shapes import ReleaseView
from conman_http.auth import AuthContext, container_of, role_opt
from conman_http.envelope import ok, ok_list
from conman_http.query import parse_page, strict_query
from conman_http.routes.changesets import caller_of
from conman_http.routes.common import PAGE, api_doc, body_of, check_id, no_body, threaded
from conman_http.schemas.releases import CreateReleaseBody, ModifyReleaseBody, ReorderReleaseBody

__all__ = ["RELEASE_ROUTES"]

TAGS = ["releases"]
PATH = "/api/apps/{app_id:str}/releases"
ONE = f"{PATH}/{{release_id:str}}"
CM = role_opt(Role.CONFIG_MANAGER)


def releases_of(request: Request[Any, Any, Any]) -> ReleaseServices:
    services: ReleaseServices = container_of(request).releases()
    return services


@get(
    PATH,
    tags=TAGS,
    operation_class=api_doc(response=ReleaseView, many=True, query=(*PAGE, "state")),
)
@threaded
def list_releases(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Releases by created_at descending, optionally of one ``state`` (any member)."""
    query = strict_query(request, {*PAGE, "state"})
    page = parse_page(query)
    state = parse_release_state(query.get("state"))
    items, total = releases_of(request).releases.list(caller_of(auth), state, page.page, page.limit)
    return ok_list(items, page, total)


@post(
    PATH, tags=TAGS, opt=CM, operation_class=api_doc(body=CreateReleaseBody, response=ReleaseView)
)
@threaded
def create_release(
    request: Request[Any, Any, Any], body: RawBody, auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """A draft release of queued, free changesets in the given order (CM+)."""
    data = body_of(request, body, CreateReleaseBody)
    view = releases_of(request).releases.create(caller_of(auth), data.changeset_ids)
    return ok(view, status_code=201)


@get(ONE, tags=TAGS, operation_class=api_doc(response=ReleaseView))
@threaded
def get_release(
    request: Request[Any, Any, Any], release_id: FromPath[str], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """One release with its members (any member)."""
    strict_query(request, ())
    check_id("release", release_id)
    return ok(releases_of(request).releases.get(caller_of(auth), release_id))


@post(
    f"{ONE}/changesets",
    status_code=200,
    tags=TAGS,
    opt=CM,
    operation_class=api_doc(body=ModifyReleaseBody, response=ReleaseView),
)
@threaded
def modify_release(
    request: Request[Any, Any, Any],
    release_id: FromPath[str],
    body: RawBody,
    auth: NamedDependency[AuthContext],
) -> Response[bytes]:
    """Remove, then append changesets of a draft release (CM+)."""
    check_id("release", release_id)
    data = body_of(request, body, ModifyReleaseBody)
    view = releases_of(request).releases.modify(
        caller_of(auth), release_id, add=data.add, remove=data.remove
    )
    return ok(view)


@post(
    f"{ONE}/reorder",
    status_code=200,
    tags=TAGS,
    opt=CM,
    operation_class=api_doc(body=ReorderReleaseBody, response=ReleaseView),
)
@threaded
def reorder_release(
    request: Request[Any, Any, Any],
    release_id: FromPath[str],
    body: RawBody,
    auth: NamedDependency[AuthContext],
) -> Response[bytes]:
    """A new composition order of a draft release (CM+)."""
    check_id("release", release_id)
    data = body_of(request, body, ReorderReleaseBody)
    view = releases_of(request).releases.reorder(
        caller_of(auth), release_id, data.ordered_changeset_ids
    )
    return ok(view)


@post(
    f"{ONE}/assemble",
    status_code=202,
    tags=TAGS,
    opt=CM,
    operation_class=api_doc(response=ReleaseView),
)
@threaded
def assemble_release(
    request: Request[Any, Any, Any],
    release_id: FromPath[str],
    body: RawBody,
    auth: NamedDependency[AuthContext],
) -> Response[bytes]:
    """draft_release → assembling; enqueues ``release_assemble`` (CM+)."""
    check_id("release", release_id)
    no_body(request, body)
    return ok(releases_of(request).releases.assemble(caller_of(auth), release_id), status_code=202)


@post(
    f"{ONE}/publish",
    status_code=200,
    tags=TAGS,
    opt=CM,
    operation_class=api_doc(response=ReleaseView),
)
@threaded
def publish_release(
    request: Request[Any, Any, Any],
    release_id: FromPath[str],
    body: RawBody,
    auth: NamedDependency[AuthContext],
) -> Response[bytes]:
    """Tag the composed commit and move the integration branch to it (CM+)."""
    check_id("release", release_id)
    no_body(request, body)
    return ok(releases_of(request).publish(caller_of(auth), release_id))


RELEASE_ROUTES = [
    list_releases,
    create_release,
    get_release,
    modify_release,
    reorder_release,
    assemble_release,
    publish_release,
]
