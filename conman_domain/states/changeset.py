"""Changeset state machine (DOMAIN.md §9.2) and its pure approval/queue rules (§9.3-§9.4, §12.1).

Facts read by guards and selectors:

- ``no_open_changeset`` (create), ``has_changes`` and ``workspace_clean`` (submit,
  resubmit; ``workspace_clean`` is True in submit_commit mode), ``workspace_id``;
- ``submit_gate_passed`` (approve, queue), ``integration_is_ancestor`` (queue);
- ``approval_count`` (after recording this approval) and ``required_approval_count``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from conman_domain.errors import UncommittedChanges, Validation
from conman_domain.model.apps import ApprovalPolicy, AppSettings
from conman_domain.model.changesets import (
    OPEN_CHANGESET_STATES,
    Changeset,
    ChangesetState,
    Review,
    ReviewDecision,
)
from conman_domain.states.machine import (
    ActorRule,
    Guard,
    Machine,
    TransitionContext,
    fact_guard,
    row,
)

__all__ = [
    "CHANGESET_MACHINE",
    "approval_count",
    "next_queue_position",
    "required_approval_count",
    "set_changeset_state",
]

S = ChangesetState


def _clean_workspace(ctx: TransitionContext) -> None:
    if not ctx.fact("workspace_clean"):
        raise UncommittedChanges(str(ctx.facts.get("workspace_id", "")))


def _changes(message: str) -> Guard:
    return fact_guard("has_changes", message, Validation)


def _enough_approvals(ctx: TransitionContext) -> bool:
    return int(ctx.fact("approval_count")) >= int(ctx.fact("required_approval_count"))


_gate = fact_guard("submit_gate_passed", "the submit validation has not passed")
_REVIEWABLE = frozenset({S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED})


CHANGESET_MACHINE = Machine(
    name="changeset",
    states=tuple(S),
    terminal=frozenset({S.RELEASED, S.REJECTED}),
    transitions=(
        row(
            [None],
            S.DRAFT,
            "create",
            ActorRule.OWNER_OR_CM,
            fact_guard("no_open_changeset", "the workspace already has an open changeset"),
        ),
        row(
            [S.DRAFT],
            S.SUBMITTED,
            "submit",
            ActorRule.OWNER,
            _clean_workspace,
            _changes("no changes to submit"),
        ),
        row(
            [S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED],
            S.SUBMITTED,
            "resubmit",
            ActorRule.OWNER,
            _clean_workspace,
            _changes("no changes since the current revision"),
        ),
        row(
            _REVIEWABLE,
            S.APPROVED,
            "approve",
            ActorRule.REVIEWER_NOT_OWNER,
            _gate,
            when=_enough_approvals,
        ),
        row(_REVIEWABLE, S.IN_REVIEW, "approve", ActorRule.REVIEWER_NOT_OWNER, _gate),
        row(_REVIEWABLE, S.CHANGES_REQUESTED, "request_changes", ActorRule.REVIEWER_NOT_OWNER),
        row(_REVIEWABLE, S.REJECTED, "reject", ActorRule.REVIEWER_NOT_OWNER),
        row(
            [S.CHANGES_REQUESTED, S.CONFLICTED, S.NEEDS_REVALIDATION],
            S.DRAFT,
            "move_to_draft",
            ActorRule.OWNER_OR_CM,
        ),
        row(
            [S.APPROVED],
            S.QUEUED,
            "queue",
            ActorRule.OWNER_OR_CM,
            _gate,
            fact_guard(
                "integration_is_ancestor",
                "the changeset is behind the integration branch; sync and resubmit",
            ),
        ),
        row([S.QUEUED], S.CONFLICTED, "mark_conflicted", ActorRule.SYSTEM),
        row([S.QUEUED], S.NEEDS_REVALIDATION, "mark_needs_revalidation", ActorRule.SYSTEM),
        row([S.QUEUED], S.RELEASED, "release", ActorRule.SYSTEM),
    ),
)


def set_changeset_state(changeset: Changeset, state: ChangesetState) -> None:
    """Write ``state`` with its derived fields (``is_open``; queue fields off the queue)."""
    changeset.state = state
    changeset.is_open = state in OPEN_CHANGESET_STATES
    if state in (S.SUBMITTED, S.CHANGES_REQUESTED, S.DRAFT):
        changeset.approval_count = 0
    if state is not S.QUEUED and state not in (S.CONFLICTED, S.NEEDS_REVALIDATION):
        changeset.queue_position = None
        changeset.queued_at = None
    if state is S.DRAFT:
        changeset.last_revalidation_status = None
        changeset.last_revalidation_details = None
        changeset.last_revalidation_job_id = None


def approval_count(reviews: Sequence[Review], revision_number: int) -> int:
    """Distinct reviewers with ``approved`` on ``revision_number`` after its latest
    ``changes_requested`` (DOMAIN.md §9.4). ``reviews`` are in creation order."""
    current = [r for r in reviews if r.revision_number == revision_number]
    start = 0
    for i, review in enumerate(current):
        if review.decision is ReviewDecision.CHANGES_REQUESTED:
            start = i + 1
    return len(
        {r.reviewer_user_id for r in current[start:] if r.decision is ReviewDecision.APPROVED}
    )


def next_queue_position(queued_positions: Iterable[int | None]) -> int:
    """1 + the highest position among queued changesets, 1 if none (DOMAIN.md §12.1)."""
    positions = [p for p in queued_positions if p is not None]
    return max(positions, default=0) + 1


def required_approval_count(
    settings: AppSettings, override_environment_ids: Iterable[str], canonical_env_id: str | None
) -> int:
    """``required_approvals``, raised to 2 under stricter_two_approvals when an override
    targets the canonical environment (DOMAIN.md §9.3 step 6)."""
    required = settings.required_approvals
    if (
        settings.runtime_profile_approval_policy is ApprovalPolicy.STRICTER_TWO_APPROVALS
        and canonical_env_id is not None
        and canonical_env_id in set(override_environment_ids)
    ):
        return max(required, 2)
    return required
