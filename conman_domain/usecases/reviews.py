"""Reviews and approvals (DOMAIN.md §9.2, §9.4; API.md §9).

A review is stored with ``revision_number = current_revision``. The changeset's
``approval_count`` is then recounted from the stored reviews (distinct approvers on the
current revision after its latest ``changes_requested``) and the state moves by the
machine: approved once the count reaches ``required_approval_count``. The review is
inserted before the count is written, so concurrent approvals always see each other.
"""

from __future__ import annotations

import msgspec

from conman_domain.errors import Conflict, ConmanError, FieldError, Validation
from conman_domain.model import (
    Changeset,
    ChangesetState,
    NotificationEvent,
    Review,
    ReviewDecision,
)
from conman_domain.states import CHANGESET_MACHINE, apply, approval_count
from conman_domain.states.changeset import set_changeset_state
from conman_domain.usecases.changeset_deps import (
    CAS_RETRIES,
    Caller,
    ChangesetDeps,
    load_changeset,
    submit_gate_passed,
)
from conman_domain.usecases.changeset_notify import notify_changeset
from conman_domain.usecases.changeset_shapes import (
    ChangesetView,
    ReviewView,
    changeset_view,
    review_view,
)
from conman_domain.usecases.changesets import machine_context

__all__ = ["COMMENT_MAX", "ReviewChangeset", "ReviewResult"]

COMMENT_MAX = 10_000
_ACTIONS = {
    ReviewDecision.APPROVED: "approve",
    ReviewDecision.CHANGES_REQUESTED: "request_changes",
    ReviewDecision.REJECTED: "reject",
}
_EVENTS = {
    ChangesetState.APPROVED: NotificationEvent.CHANGESET_APPROVED,
    ChangesetState.CHANGES_REQUESTED: NotificationEvent.CHANGES_REQUESTED,
    ChangesetState.REJECTED: NotificationEvent.CHANGESET_REJECTED,
}


class ReviewResult(msgspec.Struct, kw_only=True):
    review: ReviewView
    changeset: ChangesetView


class ReviewChangeset:
    """POST review (reviewer+, never the author)."""

    def __init__(self, deps: ChangesetDeps) -> None:
        self._d = deps

    def __call__(
        self, caller: Caller, changeset_id: str, decision: ReviewDecision, comment: str | None
    ) -> ReviewResult:
        if comment is not None and len(comment) > COMMENT_MAX:
            raise Validation(
                "comment must be at most 10000 characters", [FieldError("comment", "≤10000")]
            )
        d = self._d
        cs = load_changeset(d, caller.app, changeset_id)
        now = d.clock.now()
        review = Review(
            id=d.ids.new_id(),
            created_at=now,
            changeset_id=cs.id,
            reviewer_user_id=caller.user_id,
            revision_number=cs.current_revision,
            decision=decision,
            comment=comment,
        )
        # Checked once before anything is written (403, 409 invalid_transition, gate).
        self._transition(caller, cs, review, [review])
        d.repos.reviews.insert(review)
        try:
            saved = self._write(caller, cs.id, review)
        except ConmanError:
            d.repos.reviews.delete(review.id)
            raise
        d.audit.record(
            caller.actor,
            f"changeset.{decision.value}",
            app_id=caller.app.id,
            entity_id=cs.id,
            before={"state": cs.state, "approval_count": cs.approval_count},
            after={
                "review_id": review.id,
                "decision": decision,
                "revision_number": review.revision_number,
                "state": saved.state,
                "approval_count": saved.approval_count,
            },
            git_sha=saved.head_sha,
        )
        # Reviews start from submitted/in_review/changes_requested, so reaching approved
        # is always "became approved"; changes_requested and rejected notify every time.
        event = _EVENTS.get(saved.state)
        if event is not None:
            notify_changeset(d, event, caller.app, saved, caller.user_id)
        return ReviewResult(review=review_view(review), changeset=changeset_view(saved))

    def _transition(
        self, caller: Caller, cs: Changeset, review: Review, extra: list[Review]
    ) -> tuple[ChangesetState, int]:
        """The state and approval count after ``review`` (raises when not allowed)."""
        stored = self._d.repos.reviews.all({"changeset_id": cs.id})
        known = {r.id for r in stored}
        reviews = sorted(
            [*stored, *(r for r in extra if r.id not in known)], key=lambda r: (r.created_at, r.id)
        )
        if review.revision_number != cs.current_revision:
            raise Conflict("the changeset was resubmitted meanwhile; review the new revision")
        count = approval_count(reviews, cs.current_revision)
        facts = {
            "submit_gate_passed": submit_gate_passed(self._d, cs),
            "approval_count": count,
            "required_approval_count": cs.required_approval_count,
        }
        target = apply(
            CHANGESET_MACHINE,
            cs.state,
            _ACTIONS[review.decision],
            machine_context(caller, cs.author_user_id, facts),
        )
        return ChangesetState(target), count

    def _write(self, caller: Caller, changeset_id: str, review: Review) -> Changeset:
        repo = self._d.repos.changesets
        for _ in range(CAS_RETRIES):
            cs = repo.get(changeset_id)
            state, count = self._transition(caller, cs, review, [review])
            set_changeset_state(cs, state)
            cs.approval_count = 0 if state is ChangesetState.CHANGES_REQUESTED else count
            try:
                return repo.save(cs)
            except Conflict:
                continue
        raise Conflict("the changeset kept changing concurrently; try again")
