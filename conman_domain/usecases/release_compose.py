"""The ``release_assemble`` and ``msuite_merge`` job handlers (DOMAIN.md §13.3, §17).

``release_assemble`` merges each member's ``head_sha`` in position order onto
``refs/conman/compose/<releaseId>`` (started at H, the integration head, recorded as
``base_sha``), records each ``merge_sha`` and enqueues ``msuite_merge``. A conflict marks
that changeset conflicted and returns the release to draft (final failure with
``{outcome: "conflict", changeset_id, conflicting_paths}``).

``msuite_merge`` runs the release gate on ``composed_sha``: pass → validated; fail →
attribution (H, then each ``merge_sha`` in turn; the first failing changeset becomes
needs_revalidation with ``test_failed``) and the release returns to draft.

A canceled job (queued: ``cancel_effect``; running: the handler stops between steps)
returns the release to draft as well (§17.5).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from conman_domain.errors import Conflict, GateFailed, NotFound, Validation
from conman_domain.model import (
    App,
    Changeset,
    ChangesetState,
    Job,
    JobType,
    Release,
    ReleaseState,
    RevalidationStatus,
)
from conman_domain.ports.jobs import RunningJobPort
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.changeset_deps import integration_head
from conman_domain.usecases.gates import failure_summary
from conman_domain.usecases.release_gate import overrides_of, run_release_gate
from conman_domain.usecases.release_outcomes import job_actor, mark_changeset
from conman_domain.usecases.release_shapes import (
    ReleaseDeps,
    compose_ref,
    enqueue_job,
    job_payload,
    job_signature,
    members_of,
    return_to_draft,
    save_release,
)

__all__ = ["ReleaseAssemble", "ReleaseMerge", "release_cancel_effect"]


class _Payload(msgspec.Struct, frozen=True, kw_only=True):
    release_id: str
    composed_sha: str | None = None


def _load(deps: ReleaseDeps, job: Job) -> tuple[App, Release, _Payload]:
    payload = job_payload(job, _Payload)
    app = deps.repos.apps.find_one({"id": job.app_id or ""})
    if app is None:
        raise NotFound("app", job.app_id or "")
    release = deps.repos.releases.find_one({"id": payload.release_id, "app_id": app.id})
    if release is None:
        raise NotFound("release", payload.release_id)
    return app, release, payload


def _fail_assembly(
    deps: ReleaseDeps, app: App, job: Job, release: Release, after: dict[str, Any]
) -> None:
    back = return_to_draft(deps, app, release.id)
    if back is not None:
        deps.audit.record(
            job_actor(job),
            "release.assembly_failed",
            app_id=app.id,
            entity_id=release.id,
            before={"state": release.state},
            after={"state": back.state, **after},
        )


def release_cancel_effect(deps: ReleaseDeps) -> Any:
    """The §17.5 effect of canceling a queued release_assemble or msuite_merge job."""

    def effect(job: Job) -> None:
        release_id = job.payload.get("release_id", job.entity_id)
        if deps.repos.releases.find_one({"id": release_id, "app_id": job.app_id}) is None:
            return  # the release is gone: nothing to return to draft
        app, release, _ = _load(deps, job)
        _fail_assembly(deps, app, job, release, {"outcome": "canceled", "job_id": job.id})

    return effect


def _on_last_attempt_failure(
    deps: ReleaseDeps, job: Job, work: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Run ``work``; an unexpected (retryable) error on the last attempt is a job failure,
    so the release returns to draft before the error propagates (DOMAIN.md §13.2)."""
    try:
        return work()
    except (Conflict, NotFound, Validation):
        raise  # deliberate final outcomes: already handled where they were raised
    except Exception:
        if job.attempts >= job.max_attempts:
            app, release, _ = _load(deps, job)
            if release.state == ReleaseState.ASSEMBLING:
                _fail_assembly(deps, app, job, release, {"outcome": "job_failed", "job_id": job.id})
        raise


def _changesets(deps: ReleaseDeps, release: Release) -> list[Changeset]:
    members = members_of(deps, release.id)
    ids = [m.changeset_id for m in members]
    found = {c.id: c for c in deps.repos.changesets.all({"id": {"$in": ids}})} if ids else {}
    return [found[i] for i in ids if i in found]


class ReleaseAssemble:
    """``release_assemble`` (DOMAIN.md §13.3 steps 1-5)."""

    def __init__(self, deps: ReleaseDeps) -> None:
        self._d = deps

    def __call__(self, ctx: RunningJobPort) -> dict[str, Any]:
        return _on_last_attempt_failure(self._d, ctx.job, lambda: self._assemble(ctx))

    def _assemble(self, ctx: RunningJobPort) -> dict[str, Any]:
        d, job = self._d, ctx.job
        app, release, _ = _load(d, job)
        if release.state != ReleaseState.ASSEMBLING or release.compose_job_id != job.id:
            raise Conflict(f"release {release.id} is {release.state.value}; nothing to assemble")
        members = members_of(d, release.id)
        changesets = {c.id: c for c in _changesets(d, release)}
        stale = [m.changeset_id for m in members if m.changeset_id not in changesets
                 or changesets[m.changeset_id].state != ChangesetState.QUEUED]  # fmt: skip
        if stale or not members:
            _fail_assembly(d, app, job, release, {"outcome": "not_queued", "changeset_ids": stale})
            raise Conflict(f"changesets no longer queued: {', '.join(stale) or 'none'}")
        repo, ref = repo_ref(app), compose_ref(release.id)
        head = integration_head(d, app)
        release = save_release(d, release.id, lambda r: setattr(r, "base_sha", head))
        d.git.update_ref(repo, ref, new_sha=head, expected_old=None)
        author = job_signature(d, job.created_by)
        merges: list[dict[str, str]] = []
        for member in members:
            cs = changesets[member.changeset_id]
            if ctx.should_stop():
                _fail_assembly(d, app, job, release, {"outcome": "canceled", "job_id": job.id})
                return {"outcome": "stopped"}
            outcome = d.git.merge_to_ref(
                repo,
                source_sha=cs.head_sha or "",
                first_parent=ref,
                target_ref=ref,
                message=f"Merge changeset '{cs.title}' ({cs.id})",
                author=author,
            )
            if outcome.sha is None:
                paths = sorted(outcome.conflicting_paths)
                result = {"outcome": "conflict", "changeset_id": cs.id, "conflicting_paths": paths}
                mark_changeset(
                    d, app, job, cs.id, RevalidationStatus.CONFLICTED, {"conflicting_paths": paths}
                )
                _fail_assembly(d, app, job, release, result)
                raise GateFailed(f"merge conflict in changeset {cs.id}: {', '.join(paths)}", result)
            d.repos.release_changesets.set_fields(
                member.id, member.version, {"merge_sha": outcome.sha}
            )
            merges.append({"changeset_id": cs.id, "merge_sha": outcome.sha})
            ctx.log("info", f"merged changeset {cs.id} as {outcome.sha}")
        composed = d.git.resolve(repo, ref) or head
        merge_job = enqueue_job(
            d,
            app_id=app.id,
            job_type=JobType.MSUITE_MERGE,
            entity_type="release",
            entity_id=release.id,
            payload={"release_id": release.id, "composed_sha": composed},
            created_by=job.created_by,
        )

        def composed_now(r: Release) -> None:
            r.composed_sha = composed
            r.validation_job_id = merge_job.id

        save_release(d, release.id, composed_now)
        return {"outcome": "composed", "composed_sha": composed, "base_sha": head,
                "merges": merges, "validation_job_id": merge_job.id}  # fmt: skip


class ReleaseMerge:
    """``msuite_merge``: the release gate on ``composed_sha`` and failure attribution."""

    def __init__(self, deps: ReleaseDeps) -> None:
        self._d = deps

    def __call__(self, ctx: RunningJobPort) -> dict[str, Any]:
        return _on_last_attempt_failure(self._d, ctx.job, lambda: self._validate(ctx))

    def _validate(self, ctx: RunningJobPort) -> dict[str, Any]:
        d, job = self._d, ctx.job
        app, release, payload = _load(d, job)
        if (
            release.state != ReleaseState.ASSEMBLING
            or release.composed_sha is None
            or release.composed_sha != payload.composed_sha
        ):
            raise Conflict(f"release {release.id} is not assembled at {payload.composed_sha}")
        changesets = _changesets(d, release)
        overrides = overrides_of(d, changesets)
        result = run_release_gate(
            d,
            ctx,
            app,
            release.composed_sha,
            overrides,
            entity_type="release",
            entity_id=release.id,
        )
        data: dict[str, Any] = msgspec.to_builtins(result)
        if ctx.should_stop():
            _fail_assembly(d, app, job, release, {"outcome": "canceled", "job_id": job.id})
            return data
        if result.passed:
            saved = save_release(d, release.id, _validated)
            d.audit.record(
                job_actor(job),
                "release.assembled",
                app_id=app.id,
                entity_id=release.id,
                before={"state": release.state},
                after={"state": saved.state, "composed_sha": saved.composed_sha},
                git_sha=saved.composed_sha,
            )
            return data
        blamed = self._attribute(ctx, app, release, changesets)
        data["blamed_changeset_id"] = blamed
        if blamed is not None:
            mark_changeset(
                d, app, job, blamed, RevalidationStatus.TEST_FAILED,
                {"failures": [msgspec.to_builtins(f) for f in result.failures]},
            )  # fmt: skip
        _fail_assembly(
            d, app, job, release, {"outcome": "test_failed", "blamed_changeset_id": blamed}
        )
        raise GateFailed(failure_summary("release", result), data)

    def _attribute(
        self, ctx: RunningJobPort, app: App, release: Release, changesets: list[Changeset]
    ) -> str | None:
        """H first (failing → nobody); then each merge_sha with the overrides so far."""
        d = self._d
        base = release.base_sha or ""
        if not run_release_gate(
            d, ctx, app, base, [], entity_type="release", entity_id=release.id
        ).passed:
            ctx.log("warn", "the integration head fails too: no changeset is blamed")
            return None
        by_id = {c.id: c for c in changesets}
        so_far: list[Changeset] = []
        for member in members_of(d, release.id):
            cs = by_id.get(member.changeset_id)
            if cs is None or member.merge_sha is None:
                continue
            so_far.append(cs)
            overrides = overrides_of(d, so_far)
            check = run_release_gate(
                d, ctx, app, member.merge_sha, overrides, entity_type="release",
                entity_id=release.id,
            )  # fmt: skip
            if not check.passed:
                ctx.log("warn", f"changeset {cs.id} is the first failing merge")
                return cs.id
        return None


def _validated(release: Release) -> None:
    if release.state != ReleaseState.ASSEMBLING:
        raise Conflict(f"release {release.id} is {release.state.value}")
    release.state = ReleaseState.VALIDATED
