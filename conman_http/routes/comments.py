"""Changeset comments (API.md §9 comments)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody

from conman_http.auth import AuthContext
from conman_http.envelope import ok, ok_list
from conman_http.query import parse_page, strict_query
from conman_http.routes.changesets import ONE, caller_of, changesets_of
from conman_http.routes.common import body_of, check_id, threaded
from conman_http.schemas.changesets import CreateCommentBody, PatchCommentBody, unset_to_none

__all__ = ["COMMENT_ROUTES"]

TAGS = ["comments"]
PATH = f"{ONE}/comments"


@get(PATH, tags=TAGS)
@threaded
def list_comments(
    request: Request[Any, Any, Any],
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """Comments by created_at ascending, optionally on one ``file_path``."""
    query = strict_query(request, {"page", "limit", "file_path"})
    page = parse_page(query)
    check_id("changeset", changeset_id)
    items, total = changesets_of(request).comments.list(
        caller_of(auth), changeset_id, query.get("file_path"), page.page, page.limit
    )
    return ok_list(items, page, total)


@post(PATH, tags=TAGS)
@threaded
def create_comment(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """Comment on a changeset, a changed file or a line of it (any member)."""
    strict_query(request, ())
    data = body_of(request, body, CreateCommentBody)
    check_id("changeset", changeset_id)
    view = changesets_of(request).comments.create(
        caller_of(auth),
        changeset_id,
        body=data.body,
        file_path=unset_to_none(data.file_path),
        line_number=unset_to_none(data.line_number),
        parent_comment_id=unset_to_none(data.parent_comment_id),
    )
    return ok(view, status_code=201)


@patch(f"{PATH}/{{comment_id:str}}", tags=TAGS)
@threaded
def patch_comment(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
    comment_id: FromPath[str],
) -> Response[bytes]:
    """Edit the body (its author only) and/or resolve (any member)."""
    strict_query(request, ())
    data = body_of(request, body, PatchCommentBody)
    check_id("changeset", changeset_id)
    check_id("comment", comment_id)
    view = changesets_of(request).comments.update(
        caller_of(auth),
        changeset_id,
        comment_id,
        body=unset_to_none(data.body),
        resolved=unset_to_none(data.resolved),
    )
    return ok(view)


COMMENT_ROUTES = [list_comments, create_comment, patch_comment]
