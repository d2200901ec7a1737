"""Changesets, their submission, reviews, queue entry and revisions (API.md §9)."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody

from conman_domain.errors import FieldError, Validation
from conman_domain.model import Role
from conman_domain.usecases.changeset_deps import Caller
from conman_domain.usecases.changeset_services import ChangesetServices
from conman_domain.usecases.changesets import ChangesetFilter, parse_states
from conman_http.auth import AuthContext, container_of, role_opt
from conman_http.envelope import ok, ok_list
from conman_http.query import parse_page, strict_query
from conman_http.routes.common import body_of, check_id, no_body, threaded
from conman_http.schemas.changesets import (
    CreateChangesetBody,
    PatchChangesetBody,
    ReviewBody,
    unset_to_none,
)

__all__ = ["CHANGESET_ROUTES", "caller_of", "changesets_of"]

TAGS = ["changesets"]
PATH = "/api/apps/{app_id:str}/changesets"
ONE = f"{PATH}/{{changeset_id:str}}"


def changesets_of(request: Request[Any, Any, Any]) -> ChangesetServices:
    services: ChangesetServices = container_of(request).changesets()
    return services


def caller_of(auth: AuthContext) -> Caller:
    role = auth.role
    assert role is not None  # every {app_id} route has a membership (API.md §1.4 step 7)
    return Caller(app=auth.require_app(), actor=auth.actor, role=role)


@get(PATH, tags=TAGS)
@threaded
def list_changesets(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Changesets by updated_at descending; ``state`` takes a comma-separated list."""
    query = strict_query(request, {"page", "limit", "state", "author_user_id", "workspace_id"})
    page = parse_page(query)
    flt = ChangesetFilter(
        states=parse_states(query.get("state")),
        author_user_id=query.get("author_user_id"),
        workspace_id=query.get("workspace_id"),
    )
    items, total = changesets_of(request).changesets.list(
        caller_of(auth), flt, page.page, page.limit
    )
    return ok_list(items, page, total)


@post(PATH, tags=TAGS)
@threaded
def create_changeset(
    request: Request[Any, Any, Any], body: RawBody, auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """A draft changeset on a workspace (its owner, or CM+ for any workspace)."""
    strict_query(request, ())
    data = body_of(request, body, CreateChangesetBody)
    view = changesets_of(request).changesets.create(
        caller_of(auth),
        workspace_id=data.workspace_id,
        title=data.title,
        description=unset_to_none(data.description) or "",
    )
    return ok(view, status_code=201)


@get(ONE, tags=TAGS)
@threaded
def get_changeset(
    request: Request[Any, Any, Any],
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """One changeset."""
    strict_query(request, ())
    check_id("changeset", changeset_id)
    return ok(changesets_of(request).changesets.get(caller_of(auth), changeset_id))


@patch(ONE, tags=TAGS)
@threaded
def patch_changeset(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """Edit a draft's title or description (author or CM+)."""
    strict_query(request, ())
    data = body_of(request, body, PatchChangesetBody)
    check_id("changeset", changeset_id)
    view = changesets_of(request).changesets.update(
        caller_of(auth),
        changeset_id,
        title=unset_to_none(data.title),
        description=unset_to_none(data.description),
    )
    return ok(view)


def _submit(
    request: Request[Any, Any, Any],
    body: bytes,
    auth: AuthContext,
    changeset_id: str,
    kind: Literal["submit", "resubmit"],
) -> Response[bytes]:
    strict_query(request, ())
    no_body(request, body)
    check_id("changeset", changeset_id)
    result = changesets_of(request).submit(caller_of(auth), changeset_id, kind)
    return ok(result)


@post(f"{ONE}/submit", status_code=200, tags=TAGS)
@threaded
def submit_changeset(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """Freeze the head as a new revision and start the submit gate (author only)."""
    return _submit(request, body, auth, changeset_id, "submit")


@post(f"{ONE}/resubmit", status_code=200, tags=TAGS)
@threaded
def resubmit_changeset(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """A new revision of a submitted changeset; approvals reset (author only)."""
    return _submit(request, body, auth, changeset_id, "resubmit")


@post(f"{ONE}/review", status_code=200, tags=TAGS, opt=role_opt(Role.REVIEWER))
@threaded
def review_changeset(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """Approve, request changes or reject (reviewer+, never the author)."""
    strict_query(request, ())
    data = body_of(request, body, ReviewBody)
    check_id("changeset", changeset_id)
    result = changesets_of(request).review(
        caller_of(auth), changeset_id, data.decision, unset_to_none(data.comment)
    )
    return ok(result)


@post(f"{ONE}/queue", status_code=200, tags=TAGS)
@threaded
def queue_changeset(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """Enter the release queue (author or CM+)."""
    strict_query(request, ())
    no_body(request, body)
    check_id("changeset", changeset_id)
    return ok(changesets_of(request).queue(caller_of(auth), changeset_id))


@post(f"{ONE}/move-to-draft", status_code=200, tags=TAGS)
@threaded
def move_to_draft(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """Back to draft from changes_requested, conflicted or needs_revalidation."""
    strict_query(request, ())
    no_body(request, body)
    check_id("changeset", changeset_id)
    view = changesets_of(request).changesets.move_to_draft(caller_of(auth), changeset_id)
    return ok(view)


@get(f"{ONE}/revisions", tags=TAGS)
@threaded
def list_revisions(
    request: Request[Any, Any, Any],
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """Revisions by revision_number descending."""
    page = parse_page(strict_query(request, {"page", "limit"}))
    check_id("changeset", changeset_id)
    items, total = changesets_of(request).changesets.revisions(
        caller_of(auth), changeset_id, page.page, page.limit
    )
    return ok_list(items, page, total)


def _revision_number(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        raise Validation(
            "revision_number: must be an integer >= 1",
            [FieldError("revision_number", "must be an integer >= 1")],
        )
    return int(raw)


@get(f"{ONE}/reviews", tags=TAGS)
@threaded
def list_reviews(
    request: Request[Any, Any, Any],
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """Reviews by created_at descending, optionally of one revision."""
    query = strict_query(request, {"page", "limit", "revision_number"})
    page = parse_page(query)
    number = _revision_number(query.get("revision_number"))
    check_id("changeset", changeset_id)
    items, total = changesets_of(request).changesets.reviews(
        caller_of(auth), changeset_id, number, page.page, page.limit
    )
    return ok_list(items, page, total)


CHANGESET_ROUTES = [
    list_changesets,
    create_changeset,
    get_changeset,
    patch_changeset,
    submit_changeset,
    resubmit_changeset,
    review_changeset,
    queue_changeset,
    move_to_draft,
    list_revisions,
    list_reviews,
]
