"""Changeset outcomes of the release jobs: a queued changeset marked conflicted or
needs_revalidation with its revalidation status and details (DOMAIN.md §9.2, §12.3,
§13.3), audited as the job's triggering user and notified to its author."""

from __future__ import annotations

from typing import Any

from conman_domain.model import (
    App,
    AuditContext,
    Changeset,
    ChangesetState,
    Job,
    JobType,
    NotificationEvent,
    RevalidationStatus,
)
from conman_domain.states import CHANGESET_MACHINE, TransitionContext, apply
from conman_domain.states import Actor as MachineActor
from conman_domain.states.changeset import set_changeset_state
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.changeset_deps import save_with_retry
from conman_domain.usecases.changeset_notify import notify_changeset
from conman_domain.usecases.release_shapes import ReleaseDeps

__all__ = ["job_actor", "mark_changeset"]


def job_actor(job: Job) -> Actor:
    """Jobs audit as their triggering user with ``request_id = job-<jobId>`` (§19.1)."""
    return Actor(user_id=job.created_by, context=AuditContext(request_id=f"job-{job.id}"))


def mark_changeset(  # noqa: PLR0917
    deps: ReleaseDeps,
    app: App,
    job: Job,
    changeset_id: str,
    status: RevalidationStatus,
    details: dict[str, Any],
) -> Changeset | None:
    """A queued changeset → conflicted or needs_revalidation with ``status`` and
    ``details`` (audit and notification). None when it is no longer queued."""
    conflicted = status in (RevalidationStatus.CONFLICTED, RevalidationStatus.OVERRIDE_CONFLICT)
    action = "mark_conflicted" if conflicted else "mark_needs_revalidation"
    system = TransitionContext(actor=MachineActor.system_actor())

    def change(cs: Changeset) -> None:
        if cs.state != ChangesetState.QUEUED:
            raise _Skip
        set_changeset_state(cs, ChangesetState(apply(CHANGESET_MACHINE, cs.state, action, system)))
        cs.last_revalidation_status = status
        cs.last_revalidation_details = details
        if job.job_type == JobType.REVALIDATE_QUEUED_CHANGESET:
            cs.last_revalidation_job_id = job.id

    try:
        saved = save_with_retry(deps, changeset_id, change)
    except _Skip:
        return None
    name = "conflicted" if conflicted else "needs_revalidation"
    deps.audit.record(
        job_actor(job),
        f"changeset.{name}",
        app_id=app.id,
        entity_id=saved.id,
        before={"state": ChangesetState.QUEUED},
        after={
            "state": saved.state,
            "last_revalidation_status": status,
            "last_revalidation_details": details,
        },
    )
    event = (
        NotificationEvent.CHANGESET_CONFLICTED
        if conflicted
        else NotificationEvent.CHANGESET_NEEDS_REVALIDATION
    )
    notify_changeset(deps, event, app, saved, None)
    return saved


class _Skip(Exception):
    pass
