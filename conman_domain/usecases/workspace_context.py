"""The working state of a workspace and what every workspace use case shares: ports,
the loaded app/workspace/role, live git heads, baseline and the API view
(DOMAIN.md §7, §8.2; API.md §2).

The branch head and the working head are read from git on every view, so the stored
``head_sha``/``working_sha`` are only a cache refreshed by the branch-moving use cases
(create, checkpoint, reset, sync); file writes touch git only and never contend on the
workspace document.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

import msgspec

from conman_domain.errors import ConmanError, NotFound
from conman_domain.gitmodel import RepoRef, Signature
from conman_domain.model import (
    App,
    BaseRefType,
    CommitMode,
    Environment,
    Membership,
    Release,
    Role,
    User,
    Workspace,
)
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.git import GitPort
from conman_domain.ports.ids import IdPort
from conman_domain.ports.repos import MutableRepoPort
from conman_domain.rbac import Capability, check
from conman_domain.rules.baseline import Baseline, resolve_baseline
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.audit import Actor, AuditTrail

__all__ = [
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
    "member_role",
    "workspace_view",
]

_log = logging.getLogger("conman.workspaces")


def autosave_ref(workspace_id: str) -> str:
    return f"refs/conman/autosave/{workspace_id}"


def branch_ref(branch: str) -> str:
    return f"refs/heads/{branch}"


class WorkspaceRepos(Protocol):
    """The repositories the workspace use cases need (``Repositories`` fits)."""

    @property
    def apps(self) -> MutableRepoPort[App]: ...
    @property
    def users(self) -> MutableRepoPort[User]: ...
    @property
    def memberships(self) -> MutableRepoPort[Membership]: ...
    @property
    def workspaces(self) -> MutableRepoPort[Workspace]: ...
    @property
    def environments(self) -> MutableRepoPort[Environment]: ...
    @property
    def releases(self) -> MutableRepoPort[Release]: ...


class WorkspaceDeps:
    """Ports of the workspace and file use cases. ``sleep`` waits between lost
    compare-and-swaps (the container passes ``time.sleep``); the jitter is drawn from
    ``ids``.

    Within one process, writers of the same working state take a per-workspace lock, so
    they queue instead of losing compare-and-swaps to each other; the compare-and-swap
    with retries still arbitrates between processes (several server workers).
    """

    def __init__(
        self,
        *,
        repos: WorkspaceRepos,
        git: GitPort,
        clock: ClockPort,
        ids: IdPort,
        audit: AuditTrail,
        sleep: Callable[[float], None],
        on_activity: Callable[[App, str], object] | None = None,
    ) -> None:
        self.repos = repos
        self.git = git
        self.clock = clock
        self.ids = ids
        self.audit = audit
        self.sleep = sleep
        self._on_activity = on_activity
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def touch(self, app: App, workspace_id: str) -> None:
        """Activity on the workspace: the temp-env touch of DOMAIN.md §16.3 (writes,
        checkpoints, resets, syncs). Runs after the change succeeded; a failure is
        logged and never undoes or fails the change."""
        if self._on_activity is None:
            return
        try:
            self._on_activity(app, workspace_id)
        except ConmanError as exc:
            _log.warning("temp-env touch for workspace %s failed: %s", workspace_id, exc.message)

    def working_lock(self, workspace_id: str) -> threading.Lock:
        """The in-process lock serializing writers of one workspace's refs."""
        with self._guard:
            return self._locks.setdefault(workspace_id, threading.Lock())

    def random(self) -> float:
        """A uniform draw in [0, 1) from the id port's CSPRNG."""
        return int(self.ids.hex_token(4), 16) / float(1 << 32)

    def signature(self, user_id: str) -> Signature:
        user = self.repos.users.get(user_id)
        return Signature(name=user.name, email=user.email, when=self.clock.now(), user_id=user.id)


class WorkspaceView(msgspec.Struct, kw_only=True):
    """API shape Workspace (API.md §2)."""

    id: str
    app_id: str
    owner_user_id: str
    branch_name: str
    title: str | None
    is_default: bool
    base_ref_type: BaseRefType
    base_ref_value: str
    base_sha: str
    head_sha: str
    working_sha: str
    dirty: bool
    effective_commit_mode: CommitMode
    created_at: datetime
    updated_at: datetime


class WorkingState(msgspec.Struct, frozen=True, kw_only=True):
    """The live git state: the branch head and the autosave head (None = clean)."""

    head_sha: str
    autosave_sha: str | None

    @property
    def working_sha(self) -> str:
        return self.autosave_sha or self.head_sha

    @property
    def dirty(self) -> bool:
        return self.autosave_sha is not None


class WorkspaceRef(msgspec.Struct, frozen=True, kw_only=True):
    """Which workspace, as whom (the base of every workspace command)."""

    app_id: str
    workspace_id: str
    actor: Actor


class WorkspaceContext:
    """A loaded app + workspace + the caller's role, with the git helpers on top."""

    def __init__(self, deps: WorkspaceDeps, ref: WorkspaceRef, *, write: bool) -> None:
        self.deps = deps
        self.actor = ref.actor
        self.app = deps.repos.apps.get(ref.app_id)
        self.workspace = deps.repos.workspaces.get(ref.workspace_id)
        if self.workspace.app_id != self.app.id:
            raise NotFound("workspace", ref.workspace_id)
        self.role = member_role(deps, self.app.id, ref.actor.user_id)
        is_owner = ref.actor.user_id == self.workspace.owner_user_id
        check(Capability.WRITE_WORKSPACE if write else Capability.READ_APP, self.role, is_owner)
        self.repo: RepoRef = repo_ref(self.app)
        self.branch_ref = branch_ref(self.workspace.branch_name)
        self.autosave_ref = autosave_ref(self.workspace.id)

    def state(self) -> WorkingState:
        head = self.deps.git.resolve(self.repo, self.branch_ref)
        if head is None:
            raise NotFound("branch", self.workspace.branch_name)
        return WorkingState(
            head_sha=head, autosave_sha=self.deps.git.resolve(self.repo, self.autosave_ref)
        )

    def commit_mode(self) -> CommitMode:
        return effective_commit_mode(self.deps, self.app, self.workspace.owner_user_id)

    def view(self, state: WorkingState | None = None) -> WorkspaceView:
        return workspace_view(self.workspace, state or self.state(), self.commit_mode())

    def refresh(self, changes: dict[str, object]) -> None:
        """Store ``changes`` on the freshly read workspace under compare-and-set."""
        ws = self.deps.repos.workspaces.get(self.workspace.id)
        for field, value in changes.items():
            setattr(ws, field, value)
        self.workspace = self.deps.repos.workspaces.save(ws)


def member_role(deps: WorkspaceDeps, app_id: str, user_id: str | None) -> Role | None:
    if user_id is None:
        return None
    membership = deps.repos.memberships.find_one({"app_id": app_id, "user_id": user_id})
    return Role(membership.role) if membership is not None else None


def effective_commit_mode(deps: WorkspaceDeps, app: App, owner_user_id: str) -> CommitMode:
    """The owner's membership ``commit_mode``, else the app's ``commit_mode_default``."""
    membership = deps.repos.memberships.find_one({"app_id": app.id, "user_id": owner_user_id})
    if membership is not None and membership.commit_mode is not None:
        return CommitMode(membership.commit_mode)
    return CommitMode(app.settings.commit_mode_default)


def workspace_view(ws: Workspace, state: WorkingState, mode: CommitMode) -> WorkspaceView:
    return WorkspaceView(
        id=ws.id,
        app_id=ws.app_id,
        owner_user_id=ws.owner_user_id,
        branch_name=ws.branch_name,
        title=ws.title,
        is_default=ws.is_default,
        base_ref_type=ws.base_ref_type,
        base_ref_value=ws.base_ref_value,
        base_sha=ws.base_sha,
        head_sha=state.head_sha,
        working_sha=state.working_sha,
        dirty=state.dirty,
        effective_commit_mode=mode,
        created_at=ws.created_at,
        updated_at=ws.updated_at,
    )


def current_baseline(deps: WorkspaceDeps, app: App) -> Baseline:
    """DOMAIN.md §7 over the live integration head and the canonical environment."""
    repo = repo_ref(app)
    head = deps.git.resolve(repo, branch_ref(app.integration_branch))
    if head is None:
        raise NotFound("branch", app.integration_branch)
    canonical = deps.repos.environments.find_one({"app_id": app.id, "is_canonical": True})
    release = None
    if canonical is not None and canonical.current_release_id is not None:
        release = deps.repos.releases.find_one({"id": canonical.current_release_id})
    return resolve_baseline(app.settings.baseline_mode, app.integration_branch, head, release)
