"""Changeset profile overrides (API.md §9 profile-overrides). Secrets are masked in
every response; plaintext only travels in the PUT body."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody

from conman_http.auth import AuthContext
from conman_http.envelope import ok
from conman_http.query import strict_query
from conman_http.routes.changesets import ONE, caller_of, changesets_of
from conman_http.routes.common import body_of, check_id, threaded
from conman_http.schemas.changesets import OverridesBody

__all__ = ["OVERRIDE_ROUTES"]

TAGS = ["profile-overrides"]
PATH = f"{ONE}/profile-overrides"


@get(PATH, tags=TAGS)
@threaded
def get_overrides(
    request: Request[Any, Any, Any],
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """The changeset's override set, secrets masked (any member)."""
    strict_query(request, ())
    check_id("changeset", changeset_id)
    return ok(changesets_of(request).overrides.get(caller_of(auth), changeset_id))


@put(PATH, tags=TAGS)
@threaded
def put_overrides(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """Replace the whole override set (author or CM+; draft..approved)."""
    strict_query(request, ())
    data = body_of(request, body, OverridesBody)
    check_id("changeset", changeset_id)
    inputs = [entry.to_input() for entry in data.overrides]
    result = changesets_of(request).overrides.replace(caller_of(auth), changeset_id, inputs)
    return ok(result)


OVERRIDE_ROUTES = [get_overrides, put_overrides]
