"""Submit and resubmit (DOMAIN.md §8.2, §9.3; API.md §9).

1. Manual mode with a dirty working state → 409 ``uncommitted_changes``.
2. W = the working tree (submit_commit) or the branch head tree; base = merge-base of
   the branch head and the integration head.
3. Changes: submit needs tree(W) ≠ tree(base) or overrides; resubmit needs W ≠ the
   current revision's tree or overrides ≠ its snapshot (secrets compared decrypted).
4. submit_commit mode squashes a dirty working state into ONE branch commit (message =
   title, author = submitter) and deletes the autosave ref, both by compare-and-swap.
5. A new revision with the overrides snapshot; approvals 0; state submitted; required
   approvals; ``msuite_submit`` enqueued and named by ``last_submit_job_id``.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from conman_domain.errors import Conflict, ConmanError, NotFound
from conman_domain.gitmodel import EMPTY_TREE_OID
from conman_domain.model import (
    App,
    Changeset,
    ChangesetRevision,
    ChangesetState,
    CommitMode,
    JobType,
    NotificationEvent,
    OverrideSnapshot,
)
from conman_domain.rules.override_conflicts import Decrypt
from conman_domain.states import CHANGESET_MACHINE, apply, required_approval_count
from conman_domain.states.changeset import set_changeset_state
from conman_domain.usecases.changeset_deps import (
    Caller,
    ChangesetDeps,
    autosave_ref,
    branch_ref,
    commit_mode_of,
    integration_head,
    load_changeset,
)
from conman_domain.usecases.changeset_notify import notify_changeset
from conman_domain.usecases.changeset_shapes import (
    ChangesetView,
    OverrideSummary,
    RevisionView,
    changeset_view,
    revision_view,
    summaries,
)
from conman_domain.usecases.changesets import machine_context
from conman_domain.usecases.job_shapes import new_job
from conman_domain.usecases.override_compare import snapshots_equal

__all__ = ["SubmitChangeset", "SubmitResult"]

Kind = Literal["submit", "resubmit"]
_AUDIT_ACTIONS: dict[Kind, str] = {
    "submit": "changeset.submitted",
    "resubmit": "changeset.resubmitted",
}


class SubmitResult(msgspec.Struct, kw_only=True):
    changeset: ChangesetView
    revision: RevisionView
    included_profile_overrides: list[OverrideSummary]


class _Git(msgspec.Struct, frozen=True, kw_only=True):
    head: str
    autosave: str | None
    integration: str


class SubmitChangeset:
    """POST submit / resubmit (the author only)."""

    def __init__(self, deps: ChangesetDeps) -> None:
        self._d = deps

    def __call__(self, caller: Caller, changeset_id: str, kind: Kind) -> SubmitResult:
        d = self._d
        cs = load_changeset(d, caller.app, changeset_id)
        ws = d.repos.workspaces.find_one({"id": cs.workspace_id, "app_id": caller.app.id})
        if ws is None:
            raise NotFound("workspace", cs.workspace_id)
        repo = caller.repo
        head = d.git.resolve(repo, branch_ref(ws.branch_name))
        if head is None:
            raise NotFound("branch", ws.branch_name)
        state = _Git(
            head=head,
            autosave=d.git.resolve(repo, autosave_ref(ws.id)),
            integration=integration_head(d, caller.app),
        )
        mode = commit_mode_of(d, caller.app, cs.author_user_id)
        squash = mode is CommitMode.SUBMIT_COMMIT and state.autosave is not None
        working = state.autosave if squash and state.autosave else state.head
        snapshot = [
            o.snapshot()
            for o in d.repos.profile_overrides.all(
                {"changeset_id": cs.id}, sort=(("target_environment_id", 1),)
            )
        ]
        facts = {
            "workspace_id": ws.id,
            "workspace_clean": mode is CommitMode.SUBMIT_COMMIT or state.autosave is None,
            "has_changes": self._has_changes(caller, cs, kind, working, state, snapshot),
        }
        apply(CHANGESET_MACHINE, cs.state, kind, machine_context(caller, cs.author_user_id, facts))
        new_head = self._squash(caller, ws.id, ws.branch_name, cs.title, state) if squash else head
        base = d.git.merge_base(repo, new_head, state.integration)
        if base is None:
            raise Conflict("the workspace branch shares no history with the integration branch")
        saved, revision = self._record(caller, cs, new_head, base, snapshot)
        self._after(caller, saved, kind)
        return SubmitResult(
            changeset=changeset_view(saved),
            revision=revision_view(revision),
            included_profile_overrides=summaries(snapshot),
        )

    def _tree(self, caller: Caller, sha: str | None) -> str:
        if sha is None:
            return EMPTY_TREE_OID
        info = self._d.git.find_commit(caller.repo, sha)
        if info is None:
            raise NotFound("commit", sha)
        return info.tree

    def _has_changes(  # noqa: PLR0917
        self,
        caller: Caller,
        cs: Changeset,
        kind: Kind,
        working: str,
        state: _Git,
        snapshot: list[OverrideSnapshot],
    ) -> bool:
        tree = self._tree(caller, working)
        if kind == "submit":
            base = self._d.git.merge_base(caller.repo, state.head, state.integration)
            return bool(snapshot) or tree != self._tree(caller, base)
        current = self._d.repos.changeset_revisions.find_one(
            {"changeset_id": cs.id, "revision_number": cs.current_revision}
        )
        if current is None:
            return True
        if tree != self._tree(caller, current.head_sha):
            return True
        decrypt: Decrypt = self._d.decrypt(caller.app.id)
        return not snapshots_equal(current.profile_overrides_snapshot, snapshot, decrypt)

    def _squash(
        self, caller: Caller, workspace_id: str, branch: str, title: str, state: _Git
    ) -> str:
        """ONE branch commit with the working tree, then the autosave ref deleted."""
        d = self._d
        assert state.autosave is not None
        ref = branch_ref(branch)
        sha = d.git.squash(
            caller.repo,
            source_sha=state.autosave,
            branch_ref=ref,
            expected_old=state.head,
            message=title,
            author=d.signature(caller.user_id),
        )
        try:
            d.git.delete_ref(caller.repo, autosave_ref(workspace_id), expected_old=state.autosave)
        except ConmanError:
            # A file write landed in between: put the branch back and report the race.
            d.git.update_ref(caller.repo, ref, new_sha=state.head, expected_old=sha)
            raise
        self._refresh_workspace(workspace_id, sha)
        return sha

    def _refresh_workspace(self, workspace_id: str, sha: str) -> None:
        """The stored heads are a cache (the workspace use cases read git)."""
        repo = self._d.repos.workspaces
        for _ in range(5):
            ws = repo.get(workspace_id)
            try:
                repo.set_fields(ws.id, ws.version, {"head_sha": sha, "working_sha": sha})
            except Conflict:
                continue
            return

    def _record(
        self,
        caller: Caller,
        cs: Changeset,
        head: str,
        base: str,
        snapshot: list[OverrideSnapshot],
    ) -> tuple[Changeset, ChangesetRevision]:
        d = self._d
        now = d.clock.now()
        number = cs.current_revision + 1
        revision = d.repos.changeset_revisions.insert(
            ChangesetRevision(
                id=d.ids.new_id(),
                created_at=now,
                changeset_id=cs.id,
                revision_number=number,
                head_sha=head,
                base_sha=base,
                profile_overrides_snapshot=snapshot,
                created_by=caller.user_id,
            )
        )
        job = new_job(
            d.ids,
            d.clock,
            app_id=caller.app.id,
            job_type=JobType.MSUITE_SUBMIT,
            entity_type="changeset",
            entity_id=cs.id,
            payload={
                "changeset_id": cs.id,
                "revision_number": number,
                "head_sha": head,
                "base_sha": base,
            },
            created_by=caller.user_id,
        )
        set_changeset_state(cs, ChangesetState.SUBMITTED)
        cs.current_revision = number
        cs.head_sha = head
        cs.base_sha = base
        cs.approval_count = 0
        cs.required_approval_count = required_approval_count(
            caller.app.settings,
            [s.target_environment_id for s in snapshot],
            self._canonical_env_id(caller.app),
        )
        cs.last_submit_job_id = job.id
        try:
            saved = d.repos.changesets.save(cs)
        except ConmanError:
            d.repos.changeset_revisions.delete(revision.id)
            raise
        d.jobs.enqueue(job)
        if d.on_enqueue is not None:
            d.on_enqueue(str(job.job_type))
        return saved, revision

    def _canonical_env_id(self, app: App) -> str | None:
        if app.settings.canonical_env_id is not None:
            return app.settings.canonical_env_id
        env = self._d.repos.environments.find_one({"app_id": app.id, "is_canonical": True})
        return None if env is None else env.id

    def _after(self, caller: Caller, saved: Changeset, kind: Kind) -> None:
        d = self._d
        d.audit.record(
            caller.actor,
            _AUDIT_ACTIONS[kind],
            app_id=caller.app.id,
            entity_id=saved.id,
            after={
                "state": saved.state,
                "revision_number": saved.current_revision,
                "head_sha": saved.head_sha,
                "base_sha": saved.base_sha,
                "required_approval_count": saved.required_approval_count,
                "job_id": saved.last_submit_job_id,
            },
            git_sha=saved.head_sha,
        )
        if kind == "submit":
            notify_changeset(
                d, NotificationEvent.CHANGESET_SUBMITTED, caller.app, saved, caller.user_id
            )
            return
        reviewers = {
            r.reviewer_user_id
            for r in d.repos.reviews.all({"changeset_id": saved.id})
            if r.revision_number < saved.current_revision
        }
        notify_changeset(
            d,
            NotificationEvent.REVIEW_REQUESTED,
            caller.app,
            saved,
            caller.user_id,
            earlier_reviewer_ids=sorted(reviewers),
        )
