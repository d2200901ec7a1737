"""``revalidate_queued_changeset`` (DOMAIN.md §12.3), enqueued by every publish.

1. A changeset that is no longer queued → ``{skipped: true}``.
2. Trial merge of ``head_sha`` onto the integration head in
   ``refs/conman/revalidate/<changesetId>``; a conflict → conflicted (``conflicted``,
   ``{conflicting_paths}``).
3. An override conflict with a lower queue position → conflicted (``override_conflict``).
4. The release gate on the trial merge: fail → needs_revalidation (``test_failed``,
   ``{failures}``); pass → stays queued with status ``valid``.

The job then sets ``last_revalidation_job_id`` and deletes the scratch ref. Being
behind the integration head is not a failure. A failed gate is a final failure that
keeps its result.
"""

from __future__ import annotations

from typing import Any

import msgspec

from conman_domain.errors import GateFailed, NotFound
from conman_domain.model import App, Changeset, ChangesetState, RevalidationStatus
from conman_domain.ports.jobs import RunningJobPort
from conman_domain.rules.override_conflicts import find_override_conflicts
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.changeset_deps import integration_head, save_with_retry
from conman_domain.usecases.gates import failure_summary
from conman_domain.usecases.release_gate import overrides_of, run_release_gate
from conman_domain.usecases.release_outcomes import job_actor, mark_changeset
from conman_domain.usecases.release_shapes import ReleaseDeps, job_payload, job_signature

__all__ = ["RevalidateQueuedChangeset", "revalidate_ref"]


def revalidate_ref(changeset_id: str) -> str:
    return f"refs/conman/revalidate/{changeset_id}"


class _Payload(msgspec.Struct, frozen=True, kw_only=True):
    changeset_id: str
    release_id: str | None = None


class RevalidateQueuedChangeset:
    """The job handler (see the module docstring)."""

    def __init__(self, deps: ReleaseDeps) -> None:
        self._d = deps

    def __call__(self, ctx: RunningJobPort) -> dict[str, Any]:
        d, job = self._d, ctx.job
        payload = job_payload(job, _Payload)
        app = d.repos.apps.find_one({"id": job.app_id or ""})
        if app is None:
            raise NotFound("app", job.app_id or "")
        cs = d.repos.changesets.find_one({"id": payload.changeset_id, "app_id": app.id})
        if cs is None or cs.state != ChangesetState.QUEUED:
            ctx.log("info", f"changeset {payload.changeset_id} is no longer queued")
            return {"skipped": True}
        repo, ref = repo_ref(app), revalidate_ref(cs.id)
        try:
            return self._run(ctx, app, cs, ref)
        finally:
            d.git.delete_ref(repo, ref, expected_old=None)

    def _run(self, ctx: RunningJobPort, app: App, cs: Changeset, ref: str) -> dict[str, Any]:
        d, job = self._d, ctx.job
        head = integration_head(d, app)
        outcome = d.git.merge_to_ref(
            repo_ref(app),
            source_sha=cs.head_sha or "",
            first_parent=head,
            target_ref=ref,
            message=f"Trial merge of changeset '{cs.title}' ({cs.id})",
            author=job_signature(d, job.created_by),
        )
        if outcome.sha is None:
            details = {"conflicting_paths": sorted(outcome.conflicting_paths)}
            mark_changeset(d, app, job, cs.id, RevalidationStatus.CONFLICTED, details)
            return {"status": RevalidationStatus.CONFLICTED.value, **details}
        override = self._override_conflicts(app, cs)
        if override is not None:
            mark_changeset(d, app, job, cs.id, RevalidationStatus.OVERRIDE_CONFLICT, override)
            return {"status": RevalidationStatus.OVERRIDE_CONFLICT.value, **override}
        result = run_release_gate(
            d, ctx, app, outcome.sha, overrides_of(d, [cs]), entity_type="changeset",
            entity_id=cs.id,
        )  # fmt: skip
        data: dict[str, Any] = msgspec.to_builtins(result)
        if not result.passed:
            failures = [msgspec.to_builtins(f) for f in result.failures]
            mark_changeset(
                d, app, job, cs.id, RevalidationStatus.TEST_FAILED, {"failures": failures}
            )
            data["status"] = RevalidationStatus.TEST_FAILED.value
            raise GateFailed(failure_summary("release", result), data)

        def valid(current: Changeset) -> None:
            current.last_revalidation_status = RevalidationStatus.VALID
            current.last_revalidation_details = None
            current.last_revalidation_job_id = job.id

        saved = save_with_retry(d, cs.id, valid)
        d.audit.record(
            job_actor(job),
            "changeset.updated",
            app_id=app.id,
            entity_id=cs.id,
            after={"last_revalidation_status": saved.last_revalidation_status,
                   "last_revalidation_job_id": job.id},
            git_sha=outcome.sha,
        )  # fmt: skip
        data["status"] = RevalidationStatus.VALID.value
        return data

    def _override_conflicts(self, app: App, cs: Changeset) -> dict[str, Any] | None:
        d = self._d
        mine = overrides_of(d, [cs])
        if not mine or cs.queue_position is None:
            return None
        lower = d.repos.changesets.all(
            {
                "app_id": app.id,
                "state": ChangesetState.QUEUED.value,
                "queue_position": {"$lt": cs.queue_position},
            },
            sort=(("queue_position", 1),),
        )
        decrypt = d.decrypt(app.id)
        keys: set[Any] = set()
        with_ids: list[str] = []
        for other in lower:
            found = find_override_conflicts(mine, overrides_of(d, [other]), decrypt)
            if found:
                keys.update(found)
                with_ids.append(other.id)
        if not keys:
            return None
        return {
            "keys": [
                {"environment_id": k.environment_id, "kind": k.kind.value, "key": k.key}
                for k in sorted(keys)
            ],
            "conflicting_changeset_ids": with_ids,
        }
