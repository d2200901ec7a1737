"""Reset to the baseline and sync with integration (DOMAIN.md §8.5, §8.6; API.md §8.2).

Neither ever writes the integration branch: reset moves the workspace branch by
compare-and-swap; sync builds the new heads in scratch refs through
``GitPort.sync_branch`` and compare-and-swaps the branch and autosave refs only when
the whole operation is clean.
"""

from __future__ import annotations

import msgspec

from conman_domain.errors import ConmanError, NotFound, UncommittedChanges
from conman_domain.model import BaseRefType
from conman_domain.usecases.workspace_context import (
    WorkingState,
    WorkspaceContext,
    WorkspaceDeps,
    WorkspaceRef,
    WorkspaceView,
    branch_ref,
    current_baseline,
)

__all__ = ["ResetWorkspace", "ResetWorkspaceCmd", "SyncIntegration", "SyncResult"]


class ResetWorkspaceCmd(msgspec.Struct, frozen=True, kw_only=True):
    ref: WorkspaceRef
    discard_uncommitted: bool = False


class ResetWorkspace:
    """POST reset: move the branch to the current baseline, discarding the working state
    only when asked (owner or app_admin)."""

    def __init__(self, deps: WorkspaceDeps) -> None:
        self._d = deps

    def __call__(self, cmd: ResetWorkspaceCmd) -> WorkspaceView:
        d = self._d
        ctx = WorkspaceContext(d, cmd.ref, write=True)
        baseline = current_baseline(d, ctx.app)
        with d.working_lock(ctx.workspace.id):
            state = ctx.state()
            if state.dirty and not cmd.discard_uncommitted:
                raise UncommittedChanges(ctx.workspace.id)
            before = ctx.view(state)
            if state.autosave_sha is not None:
                d.git.delete_ref(ctx.repo, ctx.autosave_ref, expected_old=state.autosave_sha)
            d.git.update_ref(
                ctx.repo, ctx.branch_ref, new_sha=baseline.sha, expected_old=state.head_sha
            )
        ctx.refresh(
            {
                "base_ref_type": baseline.ref_type,
                "base_ref_value": baseline.ref_value,
                "base_sha": baseline.sha,
                "head_sha": baseline.sha,
                "working_sha": baseline.sha,
            }
        )
        view = ctx.view(WorkingState(head_sha=baseline.sha, autosave_sha=None))
        d.audit.record(
            ctx.actor,
            "workspace.reset",
            app_id=ctx.app.id,
            entity_id=ctx.workspace.id,
            before={"head_sha": before.head_sha, "working_sha": before.working_sha},
            after={"head_sha": view.head_sha, "base_sha": view.base_sha},
            git_sha=baseline.sha,
        )
        d.touch(ctx.app, ctx.workspace.id)
        return view


class SyncResult(msgspec.Struct, kw_only=True):
    """API.md §8.2 sync-integration response (200 even on conflict)."""

    clean: bool
    head_sha: str
    working_sha: str
    conflicting_paths: list[str]
    message: str


class SyncIntegration:
    """POST sync-integration: merge the integration head into the workspace branch and
    replay the working state on top, or report the conflicting paths (owner or admin)."""

    def __init__(self, deps: WorkspaceDeps) -> None:
        self._d = deps

    def __call__(self, ref: WorkspaceRef) -> SyncResult:
        ctx = WorkspaceContext(self._d, ref, write=True)
        with self._d.working_lock(ctx.workspace.id):
            return self._sync(ctx)

    def _sync(self, ctx: WorkspaceContext) -> SyncResult:
        d = self._d
        integration = d.git.resolve(ctx.repo, branch_ref(ctx.app.integration_branch))
        if integration is None:
            raise NotFound("branch", ctx.app.integration_branch)
        state = ctx.state()
        if d.git.is_ancestor(ctx.repo, integration, state.head_sha):
            return SyncResult(
                clean=True,
                head_sha=state.head_sha,
                working_sha=state.working_sha,
                conflicting_paths=[],
                message="already up to date with the integration branch",
            )
        scratch = f"refs/conman/sync/{ctx.workspace.id}"
        working_scratch = f"refs/conman/sync-working/{ctx.workspace.id}"
        outcome = d.git.sync_branch(
            ctx.repo,
            branch_sha=state.head_sha,
            onto_sha=integration,
            working_sha=state.autosave_sha,
            scratch_ref=scratch,
            working_scratch_ref=working_scratch,
            message=f"Merge {ctx.app.integration_branch} into {ctx.workspace.branch_name}",
            author=d.signature(ctx.actor.user_id or ""),
        )
        try:
            if not outcome.clean or outcome.branch_sha is None:
                return SyncResult(
                    clean=False,
                    head_sha=state.head_sha,
                    working_sha=state.working_sha,
                    conflicting_paths=sorted(outcome.conflicting_paths),
                    message="sync stopped on conflicts; nothing was changed",
                )
            new_head = outcome.branch_sha
            new_working = self._swap_refs(ctx, state, new_head, outcome.working_sha)
        finally:
            d.git.delete_ref(ctx.repo, scratch, expected_old=None)
            d.git.delete_ref(ctx.repo, working_scratch, expected_old=None)
        ctx.refresh(
            {
                "base_ref_type": BaseRefType.BRANCH,
                "base_ref_value": ctx.app.integration_branch,
                "base_sha": integration,
                "head_sha": new_head,
                "working_sha": new_working,
            }
        )
        result = SyncResult(
            clean=True,
            head_sha=new_head,
            working_sha=new_working,
            conflicting_paths=[],
            message=f"merged {ctx.app.integration_branch} into {ctx.workspace.branch_name}",
        )
        self._audit(ctx, result)
        self._d.touch(ctx.app, ctx.workspace.id)
        return result

    def _swap_refs(
        self, ctx: WorkspaceContext, state: WorkingState, new_head: str, new_working: str | None
    ) -> str:
        """CAS the autosave ref (when dirty) then the branch; undo the first on a lost race."""
        git = self._d.git
        if state.autosave_sha is not None and new_working is not None:
            git.update_ref(
                ctx.repo, ctx.autosave_ref, new_sha=new_working, expected_old=state.autosave_sha
            )
        try:
            git.update_ref(ctx.repo, ctx.branch_ref, new_sha=new_head, expected_old=state.head_sha)
        except ConmanError:
            if state.autosave_sha is not None and new_working is not None:
                git.update_ref(
                    ctx.repo, ctx.autosave_ref, new_sha=state.autosave_sha, expected_old=new_working
                )
            raise
        return new_working if state.autosave_sha is not None and new_working else new_head

    def _audit(self, ctx: WorkspaceContext, result: SyncResult) -> None:
        self._d.audit.record(
            ctx.actor,
            "workspace.synced_integration",
            app_id=ctx.app.id,
            entity_id=ctx.workspace.id,
            after={
                "clean": result.clean,
                "head_sha": result.head_sha,
                "conflicting_paths": result.conflicting_paths,
            },
            git_sha=result.head_sha,
        )
