"""The release queue: listing and reordering (API.md §10)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import RawBody

from conman_domain.model import Role
from conman_domain.usecases.queue import QueueItemView, QueueService, ReorderResult
from conman_http.auth import AuthContext, role_opt
from conman_http.envelope import ok, ok_list
from conman_http.query import parse_page, strict_query
from conman_http.routes.changesets import caller_of, changesets_of
from conman_http.routes.common import PAGE, api_doc, body_of, threaded
from conman_http.schemas.queue import ReorderQueueBody

__all__ = ["QUEUE_ROUTES"]

TAGS = ["queue"]
PATH = "/api/apps/{app_id:str}/queue"


def queue_of(request: Request[Any, Any, Any]) -> QueueService:
    """The queue use cases over the process's changeset dependencies (stateless)."""
    return QueueService(changesets_of(request).deps)


@get(
    PATH,
    tags=TAGS,
    operation_class=api_doc(response=QueueItemView, many=True, query=PAGE),
)
@threaded
def list_queue(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Queued changesets by queue_position ascending (any member)."""
    page = parse_page(strict_query(request, PAGE))
    items, total = queue_of(request).list(caller_of(auth), page.page, page.limit)
    return ok_list(items, page, total)


@post(
    f"{PATH}/reorder",
    status_code=200,
    tags=TAGS,
    opt=role_opt(Role.CONFIG_MANAGER),
    operation_class=api_doc(body=ReorderQueueBody, response=ReorderResult),
)
@threaded
def reorder_queue(
    request: Request[Any, Any, Any], body: RawBody, auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Positions index x 1000 in the given order (CM+); 409 if the queue changed."""
    data = body_of(request, body, ReorderQueueBody)
    return ok(queue_of(request).reorder(caller_of(auth), data.ordered_changeset_ids))


QUEUE_ROUTES = [list_queue, reorder_queue]
