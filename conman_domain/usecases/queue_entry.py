"""Entering the release queue (DOMAIN.md §12.1-§12.2; API.md §9 queue).

Guards: approved (409 ``invalid_transition``), the submit gate passed for the current
revision and the integration head is an ancestor of ``head_sha`` (409 ``conflict``).
The position is 1 + the highest queued position; the unique (app_id, queue_position)
index arbitrates concurrent entries, and the loser re-reads and retries. The newcomer's
overrides are then compared with every queued changeset's: on a conflict it becomes
conflicted at once with ``last_revalidation_status = override_conflict``.
"""

from __future__ import annotations

from typing import Any

from conman_domain.errors import Conflict
from conman_domain.model import (
    Changeset,
    ChangesetState,
    NotificationEvent,
    OverrideSnapshot,
    RevalidationStatus,
)
from conman_domain.rules.override_conflicts import find_override_conflicts
from conman_domain.states import CHANGESET_MACHINE, TransitionContext, apply, next_queue_position
from conman_domain.states import Actor as MachineActor
from conman_domain.states.changeset import set_changeset_state
from conman_domain.usecases.changeset_deps import (
    CAS_RETRIES,
    Caller,
    ChangesetDeps,
    integration_head,
    load_changeset,
    save_with_retry,
    submit_gate_passed,
)
from conman_domain.usecases.changeset_notify import notify_changeset
from conman_domain.usecases.changeset_shapes import ChangesetView, changeset_view
from conman_domain.usecases.changesets import machine_context

__all__ = ["QueueChangeset"]


class QueueChangeset:
    """POST queue (author or CM+)."""

    def __init__(self, deps: ChangesetDeps) -> None:
        self._d = deps

    def __call__(self, caller: Caller, changeset_id: str) -> ChangesetView:
        d = self._d
        cs = load_changeset(d, caller.app, changeset_id)
        queued = self._enter(caller, cs.id)
        d.audit.record(
            caller.actor,
            "changeset.queued",
            app_id=caller.app.id,
            entity_id=queued.id,
            before={"state": cs.state},
            after={"state": queued.state, "queue_position": queued.queue_position},
            git_sha=queued.head_sha,
        )
        notify_changeset(d, NotificationEvent.CHANGESET_QUEUED, caller.app, queued, caller.user_id)
        conflicted = self._check_overrides(caller, queued)
        return changeset_view(conflicted or queued)

    def _enter(self, caller: Caller, changeset_id: str) -> Changeset:
        d = self._d
        repo = d.repos.changesets
        for _ in range(CAS_RETRIES):
            cs = repo.get(changeset_id)
            head = cs.head_sha
            ancestor = head is not None and d.git.is_ancestor(
                caller.repo, integration_head(d, caller.app), head
            )
            facts = {
                "submit_gate_passed": submit_gate_passed(d, cs),
                "integration_is_ancestor": ancestor,
            }
            ctx = machine_context(caller, cs.author_user_id, facts)
            apply(CHANGESET_MACHINE, cs.state, "queue", ctx)
            others = repo.all({"app_id": caller.app.id, "state": ChangesetState.QUEUED.value})
            set_changeset_state(cs, ChangesetState.QUEUED)
            cs.queue_position = next_queue_position(o.queue_position for o in others)
            cs.queued_at = d.clock.now()
            try:
                return repo.save(cs)
            except Conflict:
                continue  # a concurrent entry took the position, or the changeset changed
        raise Conflict("the queue kept changing concurrently; try again")

    def _snapshot(self, cs: Changeset) -> list[OverrideSnapshot]:
        rev = self._d.repos.changeset_revisions.find_one(
            {"changeset_id": cs.id, "revision_number": cs.current_revision}
        )
        return [] if rev is None else list(rev.profile_overrides_snapshot)

    def _check_overrides(self, caller: Caller, cs: Changeset) -> Changeset | None:
        """Conflicted (with audit and notification) when the overrides clash (§12.2)."""
        d = self._d
        mine = self._snapshot(cs)
        if not mine:
            return None
        decrypt = d.decrypt(caller.app.id)
        keys: set[Any] = set()
        with_ids: list[str] = []
        others = d.repos.changesets.all(
            {"app_id": caller.app.id, "state": ChangesetState.QUEUED.value},
            sort=(("queue_position", 1),),
        )
        others = [o for o in others if o.id != cs.id]
        # Every other queued changeset's revisions in one query (not one per changeset).
        other_ids = [o.id for o in others]
        found_revisions = (
            d.repos.changeset_revisions.all({"changeset_id": {"$in": other_ids}})
            if other_ids
            else []
        )
        revisions = {
            (r.changeset_id, r.revision_number): list(r.profile_overrides_snapshot)
            for r in found_revisions
        }
        for other in others:
            theirs = revisions.get((other.id, other.current_revision), [])
            found = find_override_conflicts(mine, theirs, decrypt)
            if found:
                keys.update(found)
                with_ids.append(other.id)
        if not keys:
            return None
        details = {
            "keys": [
                {"environment_id": k.environment_id, "kind": k.kind.value, "key": k.key}
                for k in sorted(keys)
            ],
            "conflicting_changeset_ids": with_ids,
        }
        system = TransitionContext(actor=MachineActor.system_actor())

        def conflicted(current: Changeset) -> None:
            target = apply(CHANGESET_MACHINE, current.state, "mark_conflicted", system)
            set_changeset_state(current, ChangesetState(target))
            current.last_revalidation_status = RevalidationStatus.OVERRIDE_CONFLICT
            current.last_revalidation_details = details

        saved = save_with_retry(d, cs.id, conflicted)
        d.audit.record(
            caller.actor,
            "changeset.conflicted",
            app_id=caller.app.id,
            entity_id=cs.id,
            before={"state": ChangesetState.QUEUED},
            after={
                "state": saved.state,
                "last_revalidation_status": saved.last_revalidation_status,
                "last_revalidation_details": details,
            },
        )
        notify_changeset(d, NotificationEvent.CHANGESET_CONFLICTED, caller.app, saved, None)
        return saved
