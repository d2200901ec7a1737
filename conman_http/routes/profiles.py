"""Runtime profiles (API.md §7). Secrets are masked in every response; plaintext only
travels in write bodies and in the reveal answer (``Cache-Control: no-store``)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody

from conman_domain.errors import FieldError, Validation
from conman_domain.model import Role
from conman_domain.model.profiles import ProfileKind
from conman_domain.usecases.profile_shapes import (
    ProfileRevisionView,
    RevealView,
    RuntimeProfileView,
)
from conman_domain.usecases.profiles import ProfilesService
from conman_http.auth import AuthContext, container_of, role_opt
from conman_http.envelope import ok, ok_list
from conman_http.query import parse_page, strict_query
from conman_http.routes.changesets import caller_of
from conman_http.routes.common import NO_STORE, PAGE, api_doc, body_of, check_id, no_body, threaded
from conman_http.schemas.profiles import CreateProfileBody, PatchProfileBody, RevertProfileBody

__all__ = ["PROFILE_ROUTES"]

TAGS = ["runtime-profiles"]
PATH = "/api/apps/{app_id:str}/runtime-profiles"
ONE = f"{PATH}/{{profile_id:str}}"
_LIST_QUERY = (*PAGE, "kind", "include_archived")
_ADMIN = role_opt(Role.APP_ADMIN)


def profiles_of(request: Request[Any, Any, Any]) -> ProfilesService:
    service: ProfilesService = container_of(request).profiles()
    return service


def _bad(field: str, message: str) -> Validation:
    return Validation(f"{field}: {message}", [FieldError(field, message)])


def _kind(raw: str | None) -> ProfileKind | None:
    if raw is None:
        return None
    try:
        return ProfileKind(raw)
    except ValueError:
        raise _bad("kind", f"must be one of {', '.join(k.value for k in ProfileKind)}") from None


def _flag(raw: str | None) -> bool:
    if raw is None or raw == "false":
        return False
    if raw == "true":
        return True
    raise _bad("include_archived", 'must be "true" or "false"')


@get(
    PATH,
    tags=TAGS,
    operation_class=api_doc(response=RuntimeProfileView, many=True, query=_LIST_QUERY),
)
@threaded
def list_profiles(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Profiles by name, secrets masked (any member); archived only when asked."""
    query = strict_query(request, _LIST_QUERY)
    page = parse_page(query)
    kind, archived = _kind(query.get("kind")), _flag(query.get("include_archived"))
    items, total = profiles_of(request).list_for(
        caller_of(auth), kind=kind, include_archived=archived, page=page.page, limit=page.limit
    )
    return ok_list(items, page, total)


@post(
    PATH,
    tags=TAGS,
    opt=_ADMIN,
    operation_class=api_doc(body=CreateProfileBody, response=RuntimeProfileView),
)
@threaded
def create_profile(
    request: Request[Any, Any, Any], body: RawBody, auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """A persistent_env profile at revision 1, not attached (app_admin)."""
    data = body_of(request, body, CreateProfileBody)
    view = profiles_of(request).create(caller_of(auth), data.kind, data.to_patch())
    return ok(view, status_code=201)


@get(ONE, tags=TAGS, operation_class=api_doc(response=RuntimeProfileView))
@threaded
def get_profile(
    request: Request[Any, Any, Any],
    auth: NamedDependency[AuthContext],
    profile_id: FromPath[str],
) -> Response[bytes]:
    """One profile, secrets masked (any member)."""
    strict_query(request, ())
    check_id("runtime profile", profile_id)
    return ok(profiles_of(request).get(caller_of(auth), profile_id))


@patch(
    ONE,
    tags=TAGS,
    opt=_ADMIN,
    operation_class=api_doc(body=PatchProfileBody, response=RuntimeProfileView),
)
@threaded
def patch_profile(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    profile_id: FromPath[str],
) -> Response[bytes]:
    """Merge the given fields into a new revision (app_admin)."""
    data = body_of(request, body, PatchProfileBody)
    check_id("runtime profile", profile_id)
    view = profiles_of(request).update(caller_of(auth), profile_id, data.to_patch())
    return ok(view)


@get(
    f"{ONE}/revisions",
    tags=TAGS,
    operation_class=api_doc(response=ProfileRevisionView, many=True, query=PAGE),
)
@threaded
def list_revisions(
    request: Request[Any, Any, Any],
    auth: NamedDependency[AuthContext],
    profile_id: FromPath[str],
) -> Response[bytes]:
    """Revisions by revision_number descending, snapshots masked (any member)."""
    page = parse_page(strict_query(request, PAGE))
    check_id("runtime profile", profile_id)
    items, total = profiles_of(request).revisions(
        caller_of(auth), profile_id, page.page, page.limit
    )
    return ok_list(items, page, total)


@post(
    f"{ONE}/revert",
    status_code=200,
    tags=TAGS,
    opt=_ADMIN,
    operation_class=api_doc(body=RevertProfileBody, response=RuntimeProfileView),
)
@threaded
def revert_profile(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    profile_id: FromPath[str],
) -> Response[bytes]:
    """Copy a revision's content into a new revision (app_admin)."""
    data = body_of(request, body, RevertProfileBody)
    check_id("runtime profile", profile_id)
    view = profiles_of(request).revert(
        caller_of(auth), profile_id, data.revision_number, data.note()
    )
    return ok(view)


@post(
    f"{ONE}/rotate-key",
    status_code=200,
    tags=TAGS,
    opt=_ADMIN,
    operation_class=api_doc(response=RuntimeProfileView),
)
@threaded
def rotate_profile_key(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    profile_id: FromPath[str],
) -> Response[bytes]:
    """Re-encrypt every secret under fresh data keys (app_admin; no body)."""
    no_body(request, body)
    check_id("runtime profile", profile_id)
    return ok(profiles_of(request).rotate_key(caller_of(auth), profile_id))


@post(
    f"{ONE}/secrets/{{key:str}}/reveal",
    status_code=200,
    tags=TAGS,
    opt=_ADMIN,
    operation_class=api_doc(response=RevealView),
)
@threaded
def reveal_secret(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    profile_id: FromPath[str],
    key: FromPath[str],
) -> Response[bytes]:
    """One secret's plaintext (app_admin; audited with the key only; not cached)."""
    no_body(request, body)
    check_id("runtime profile", profile_id)
    view = profiles_of(request).reveal(caller_of(auth), profile_id, key)
    return ok(view, headers=dict(NO_STORE))


PROFILE_ROUTES = [
    list_profiles,
    create_profile,
    get_profile,
    patch_profile,
    list_revisions,
    revert_profile,
    rotate_profile_key,
    reveal_secret,
]
