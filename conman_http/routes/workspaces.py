"""Workspaces: list, create, get, retitle, reset, sync with integration (API.md §8.2).

Reads: any member. Writes: the workspace owner or an app_admin (checked by the use
cases, after body validation, as API.md §1.4 orders it).
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody
from msgspec import UNSET

from conman_domain.errors import FieldError, Validation
from conman_domain.usecases.workspace_context import WorkspaceDeps, WorkspaceRef, WorkspaceView
from conman_domain.usecases.workspace_sync import (
    ResetWorkspace,
    ResetWorkspaceCmd,
    SyncIntegration,
    SyncResult,
)
from conman_domain.usecases.workspaces import (
    CreateWorkspace,
    CreateWorkspaceCmd,
    GetWorkspace,
    ListWorkspaces,
    ListWorkspacesCmd,
    UpdateWorkspace,
    UpdateWorkspaceCmd,
)
from conman_http.auth import AuthContext, container_of
from conman_http.envelope import ok, ok_list
from conman_http.query import parse_page, strict_query
from conman_http.routes.common import PAGE, api_doc, body_of, check_id, no_body, threaded
from conman_http.schemas.workspaces import (
    CreateWorkspaceBody,
    PatchWorkspaceBody,
    ResetWorkspaceBody,
)

__all__ = ["WORKSPACE_ROUTES", "workspace_deps_of", "workspace_ref"]

TAGS = ["workspaces"]
PATH = "/api/apps/{app_id:str}/workspaces"
ONE = f"{PATH}/{{workspace_id:str}}"
TITLE_MAX = 200
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")


def workspace_deps_of(request: Request[Any, Any, Any]) -> WorkspaceDeps:
    deps: WorkspaceDeps = container_of(request).workspace_deps()
    return deps


def workspace_ref(auth: AuthContext, workspace_id: str) -> WorkspaceRef:
    """The workspace of a ``{workspace_id}`` route (malformed id → 404)."""
    check_id("workspace", workspace_id)
    return WorkspaceRef(app_id=auth.require_app().id, workspace_id=workspace_id, actor=auth.actor)


@get(
    PATH,
    tags=TAGS,
    operation_class=api_doc(response=WorkspaceView, many=True, query=(*PAGE, "owner_user_id")),
)
@threaded
def list_workspaces(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Workspaces by created_at descending; ``owner_user_id`` filters."""
    query = strict_query(request, {"page", "limit", "owner_user_id"})
    page = parse_page(query)
    owner = query.get("owner_user_id")
    if owner is not None and not _OBJECT_ID.fullmatch(owner):
        raise Validation(
            "owner_user_id: must be a 24-hex id", [FieldError("owner_user_id", "malformed id")]
        )
    result = ListWorkspaces(workspace_deps_of(request))(
        ListWorkspacesCmd(
            app_id=auth.require_app().id,
            actor=auth.actor,
            owner_user_id=owner,
            page=page.page,
            limit=page.limit,
        )
    )
    return ok_list(result.items, page, result.total)


@post(PATH, tags=TAGS, operation_class=api_doc(body=CreateWorkspaceBody, response=WorkspaceView))
@threaded
def create_workspace(
    request: Request[Any, Any, Any], body: RawBody, auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """The caller's default workspace, or an extra one on ``branch_name``."""
    strict_query(request, ())
    data = body_of(request, body, CreateWorkspaceBody) if body.strip() else CreateWorkspaceBody()
    view = CreateWorkspace(workspace_deps_of(request))(
        CreateWorkspaceCmd(
            app_id=auth.require_app().id,
            actor=auth.actor,
            title=None if data.title is UNSET else data.title,
            branch_name=None if data.branch_name is UNSET else data.branch_name,
        )
    )
    return ok(view, status_code=201)


@get(ONE, tags=TAGS, operation_class=api_doc(response=WorkspaceView))
@threaded
def get_workspace(
    request: Request[Any, Any, Any],
    auth: NamedDependency[AuthContext],
    workspace_id: FromPath[str],
) -> Response[bytes]:
    """One workspace, with its live heads."""
    strict_query(request, ())
    ref = workspace_ref(auth, workspace_id)
    return ok(GetWorkspace(workspace_deps_of(request))(ref))


@patch(ONE, tags=TAGS, operation_class=api_doc(body=PatchWorkspaceBody, response=WorkspaceView))
@threaded
def patch_workspace(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    workspace_id: FromPath[str],
) -> Response[bytes]:
    """Retitle a workspace (owner or app_admin)."""
    strict_query(request, ())
    data = body_of(request, body, PatchWorkspaceBody)
    if data.title is not None and len(data.title) > TITLE_MAX:
        raise Validation("title must be at most 200 characters", [FieldError("title", "≤200")])
    cmd = UpdateWorkspaceCmd(ref=workspace_ref(auth, workspace_id), title=data.title)
    return ok(UpdateWorkspace(workspace_deps_of(request))(cmd))


@post(
    f"{ONE}/reset",
    status_code=200,
    tags=TAGS,
    operation_class=api_doc(body=ResetWorkspaceBody, response=WorkspaceView),
)
@threaded
def reset_workspace(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    workspace_id: FromPath[str],
) -> Response[bytes]:
    """Move the branch to the current baseline (owner or app_admin)."""
    strict_query(request, ())
    data = body_of(request, body, ResetWorkspaceBody) if body.strip() else ResetWorkspaceBody()
    cmd = ResetWorkspaceCmd(
        ref=workspace_ref(auth, workspace_id), discard_uncommitted=data.discard_uncommitted
    )
    return ok(ResetWorkspace(workspace_deps_of(request))(cmd))


@post(
    f"{ONE}/sync-integration",
    status_code=200,
    tags=TAGS,
    operation_class=api_doc(response=SyncResult),
)
@threaded
def sync_integration(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    workspace_id: FromPath[str],
) -> Response[bytes]:
    """Bring the branch up to date with integration; 200 even on conflict."""
    strict_query(request, ())
    no_body(request, body)
    ref = workspace_ref(auth, workspace_id)
    return ok(SyncIntegration(workspace_deps_of(request))(ref))


WORKSPACE_ROUTES = [
    list_workspaces,
    create_workspace,
    get_workspace,
    patch_workspace,
    reset_workspace,
    sync_integration,
]
