"""Workspaces: create at the baseline, get, list, retitle (DOMAIN.md §7, §8.1;
API.md §8.2). The shared working-state machinery lives in ``workspace_context`` and is
re-exported here."""

from __future__ import annotations

import msgspec

from conman_domain.errors import Conflict, FieldError, Validation
from conman_domain.model import CommitMode, Workspace
from conman_domain.ports.repos import Page
from conman_domain.rbac import Capability, check
from conman_domain.rules.branches import default_workspace_branch, validate_branch_name
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.workspace_context import (
    WorkingState,
    WorkspaceContext,
    WorkspaceDeps,
    WorkspaceRef,
    WorkspaceRepos,
    WorkspaceView,
    autosave_ref,
    branch_ref,
    current_baseline,
    effective_commit_mode,
    member_role,
    workspace_view,
)

__all__ = [
    "CreateWorkspace",
    "CreateWorkspaceCmd",
    "GetWorkspace",
    "ListWorkspaces",
    "ListWorkspacesCmd",
    "UpdateWorkspace",
    "UpdateWorkspaceCmd",
    "WorkingState",
    "WorkspaceContext",
    "WorkspaceDeps",
    "WorkspaceRef",
    "WorkspaceRepos",
    "WorkspaceView",
    "autosave_ref",
    "branch_ref",
    "current_baseline",
    "effective_commit_mode",
    "workspace_view",
]

TITLE_MAX = 200


def _check_title(title: str | None) -> str | None:
    if title is not None and len(title) > TITLE_MAX:
        raise Validation("title must be at most 200 characters", [FieldError("title", "≤200")])
    return title


class CreateWorkspaceCmd(msgspec.Struct, frozen=True, kw_only=True):
    app_id: str
    actor: Actor
    title: str | None = None
    branch_name: str | None = None
    reserved_branch: bool = False
    """True for a system-named branch (``drift/<slug>/<n>``, DOMAIN.md §15.10): the
    custom-name rules (no reserved prefix) are not applied. Never set from a request."""


class CreateWorkspace:
    """POST workspaces: the caller's default workspace, or an extra one on ``branch_name``,
    branched at the resolved baseline (API.md §8.2)."""

    def __init__(self, deps: WorkspaceDeps) -> None:
        self._d = deps

    def __call__(self, cmd: CreateWorkspaceCmd) -> WorkspaceView:
        d = self._d
        app = d.repos.apps.get(cmd.app_id)
        user_id = cmd.actor.user_id or ""
        check(Capability.CREATE_WORKSPACE, member_role(d, app.id, user_id))
        title = _check_title(cmd.title)
        repo = repo_ref(app)
        taken = {b.name for b in d.git.list_branches(repo)}
        taken |= {w.branch_name for w in d.repos.workspaces.all({"app_id": app.id})}
        if cmd.branch_name is None:
            where = {"app_id": app.id, "owner_user_id": user_id, "is_default": True}
            if d.repos.workspaces.find_one(where) is not None:
                raise Conflict("you already have a default workspace in this app")
            user = d.repos.users.get(user_id)
            name = default_workspace_branch(user.email, app.name, taken)
        else:
            name = (
                cmd.branch_name
                if cmd.reserved_branch
                else validate_branch_name(cmd.branch_name, app.integration_branch)
            )
            if name in taken:
                raise Conflict(f"branch name is taken: {name}")
        baseline = current_baseline(d, app)
        d.git.create_branch(repo, name, baseline.sha)
        now = d.clock.now()
        ws = Workspace(
            id=d.ids.new_id(),
            created_at=now,
            updated_at=now,
            app_id=app.id,
            owner_user_id=user_id,
            branch_name=name,
            title=title,
            is_default=cmd.branch_name is None,
            base_ref_type=baseline.ref_type,
            base_ref_value=baseline.ref_value,
            base_sha=baseline.sha,
            head_sha=baseline.sha,
            working_sha=baseline.sha,
        )
        try:
            ws = d.repos.workspaces.insert(ws)
        except Conflict:
            # Another request took the default slot or the name: undo our branch.
            d.git.delete_ref(repo, branch_ref(name), expected_old=baseline.sha)
            raise
        view = workspace_view(
            ws,
            WorkingState(head_sha=baseline.sha, autosave_sha=None),
            effective_commit_mode(d, app, user_id),
        )
        d.audit.record(cmd.actor, "workspace.created", app_id=app.id, entity_id=ws.id, after=view)
        return view


class GetWorkspace:
    """GET one workspace (any member)."""

    def __init__(self, deps: WorkspaceDeps) -> None:
        self._d = deps

    def __call__(self, ref: WorkspaceRef) -> WorkspaceView:
        return WorkspaceContext(self._d, ref, write=False).view()


class ListWorkspacesCmd(msgspec.Struct, frozen=True, kw_only=True):
    app_id: str
    actor: Actor
    owner_user_id: str | None = None
    page: int = 1
    limit: int = 20


class ListWorkspaces:
    """GET workspaces (any member), created_at descending."""

    def __init__(self, deps: WorkspaceDeps) -> None:
        self._d = deps

    def __call__(self, cmd: ListWorkspacesCmd) -> Page[WorkspaceView]:
        d = self._d
        app = d.repos.apps.get(cmd.app_id)
        check(Capability.READ_APP, member_role(d, app.id, cmd.actor.user_id))
        where: dict[str, object] = {"app_id": app.id}
        if cmd.owner_user_id is not None:
            where["owner_user_id"] = cmd.owner_user_id
        page = d.repos.workspaces.list(where, (("created_at", -1),), cmd.page, cmd.limit)
        repo = repo_ref(app)
        # The owners' commit modes in one query (not one per workspace).
        owners = sorted({ws.owner_user_id for ws in page.items})
        modes = {
            m.user_id: CommitMode(m.commit_mode)
            for m in d.repos.memberships.all({"app_id": app.id, "user_id": {"$in": owners}})
            if m.commit_mode is not None
        }
        default_mode = CommitMode(app.settings.commit_mode_default)
        views = []
        for ws in page.items:
            head = d.git.resolve(repo, branch_ref(ws.branch_name)) or ws.head_sha
            state = WorkingState(
                head_sha=head, autosave_sha=d.git.resolve(repo, autosave_ref(ws.id))
            )
            mode = modes.get(ws.owner_user_id, default_mode)
            views.append(workspace_view(ws, state, mode))
        return Page(items=views, total=page.total, page=page.page, limit=page.limit)


class UpdateWorkspaceCmd(msgspec.Struct, frozen=True, kw_only=True):
    ref: WorkspaceRef
    title: str | None


class UpdateWorkspace:
    """PATCH a workspace's title (owner or app_admin)."""

    def __init__(self, deps: WorkspaceDeps) -> None:
        self._d = deps

    def __call__(self, cmd: UpdateWorkspaceCmd) -> WorkspaceView:
        ctx = WorkspaceContext(self._d, cmd.ref, write=True)
        before = ctx.workspace.title
        ctx.refresh({"title": _check_title(cmd.title)})
        self._d.audit.record(
            ctx.actor,
            "workspace.updated",
            app_id=ctx.app.id,
            entity_id=ctx.workspace.id,
            before={"title": before},
            after={"title": ctx.workspace.title},
        )
        return ctx.view()
