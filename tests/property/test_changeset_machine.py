"""Random sequences of permitted and forbidden changeset actions by random actors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from conman_domain.errors import (
    ConmanError,
    Forbidden,
    InvalidTransition,
)
from conman_domain.model import ChangesetState, Review, ReviewDecision, Role
from conman_domain.states import (
    CHANGESET_MACHINE,
    Actor,
    TransitionContext,
    apply,
    approval_count,
    next_queue_position,
)

AUTHOR = "author"
ACTORS = [
    Actor(user_id=AUTHOR, role=Role.USER),
    Actor(user_id=AUTHOR, role=Role.APP_ADMIN),  # an admin author still cannot self-review
    Actor(user_id="r1", role=Role.REVIEWER),
    Actor(user_id="r2", role=Role.REVIEWER),
    Actor(user_id="cm", role=Role.CONFIG_MANAGER),
    Actor(user_id="u1", role=Role.USER),
    Actor(user_id="stranger", role=None),
    Actor.system_actor(),
]
TERMINAL = {ChangesetState.RELEASED, ChangesetState.REJECTED}
T0 = datetime(2026, 1, 1, tzinfo=UTC)

# Weighted towards actors who may act, so that sequences get deep into the machine.
actors = st.sampled_from([*ACTORS, ACTORS[0], ACTORS[0], ACTORS[2], ACTORS[3], ACTORS[4]])
decisions = st.sampled_from([*ReviewDecision, ReviewDecision.APPROVED, ReviewDecision.APPROVED])


def may(action: str, actor: Actor) -> bool:
    """Who may act, per the "Who" column of DOMAIN.md §9.2."""
    if action in ("mark_conflicted", "mark_needs_revalidation", "release"):
        return actor.system
    if actor.system or actor.role is None:
        return False
    if action in ("submit", "resubmit"):
        return actor.user_id == AUTHOR
    if action in ("approve", "request_changes", "reject"):
        return actor.user_id != AUTHOR and actor.role >= Role.REVIEWER
    return actor.user_id == AUTHOR or actor.role >= Role.CONFIG_MANAGER


indexes = st.integers(min_value=0, max_value=1)
mostly = st.sampled_from([True, True, True, False])  # guards hold most of the time


class Item:
    def __init__(self) -> None:
        self.state = ChangesetState.DRAFT
        self.revision = 0
        self.reviews: list[Review] = []
        self.approvers: set[str] = set()  # independent model of the approval count
        self.queue_position: int | None = None
        self.was_terminal = False
        self.counted_from = 0  # reviews before this index were cleared by move-to-draft

    def counted_reviews(self) -> list[Review]:
        return self.reviews[self.counted_from :]


class ChangesetMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.items = [Item(), Item()]
        self.required = 2
        self.clock = 0

    @initialize(required=st.integers(min_value=1, max_value=2))
    def set_required(self, required: int) -> None:
        self.required = required

    def _apply(self, item: Item, action: str, actor: Actor, **facts: object) -> str | None:
        ctx = TransitionContext(actor=actor, owner_user_id=AUTHOR, facts=facts)
        permitted = may(action, actor)
        try:
            new = apply(CHANGESET_MACHINE, item.state, action, ctx)
        except Forbidden:
            assert not permitted
            return None
        except InvalidTransition:
            assert permitted
            assert action not in CHANGESET_MACHINE.allowed_actions(item.state)
            return None
        except ConmanError:
            assert permitted  # a guard failed
            return None
        assert permitted
        return new

    def _enter(self, item: Item, new: str) -> None:
        item.state = ChangesetState(new)
        if item.state is not ChangesetState.QUEUED and item.state not in (
            ChangesetState.CONFLICTED,
            ChangesetState.NEEDS_REVALIDATION,
        ):
            item.queue_position = None

    @rule(i=indexes, actor=actors, has_changes=mostly, clean=mostly)
    def submit(self, i: int, actor: Actor, has_changes: bool, clean: bool) -> None:
        item = self.items[i]
        action = "submit" if item.state is ChangesetState.DRAFT else "resubmit"
        new = self._apply(
            item, action, actor, has_changes=has_changes, workspace_clean=clean, workspace_id="w"
        )
        if new is not None:
            assert actor.user_id == AUTHOR and has_changes and clean
            item.revision += 1
            item.approvers = set()
            self._enter(item, new)

    @rule(
        i=indexes,
        actor=actors,
        decision=decisions,
        gate=mostly,
    )
    def review(self, i: int, actor: Actor, decision: ReviewDecision, gate: bool) -> None:
        item = self.items[i]
        self.clock += 1
        candidate = Review(
            id=f"{self.clock:024x}",
            created_at=T0 + timedelta(seconds=self.clock),
            changeset_id=str(i),
            reviewer_user_id=actor.user_id or "system",
            revision_number=item.revision,
            decision=decision,
        )
        count = approval_count([*item.counted_reviews(), candidate], item.revision)
        action = {
            ReviewDecision.APPROVED: "approve",
            ReviewDecision.CHANGES_REQUESTED: "request_changes",
            ReviewDecision.REJECTED: "reject",
        }[decision]
        new = self._apply(
            item,
            action,
            actor,
            submit_gate_passed=gate,
            approval_count=count,
            required_approval_count=self.required,
        )
        if new is None:
            return
        assert actor.user_id != AUTHOR
        assert actor.role is not None and actor.role.at_least(Role.REVIEWER)
        item.reviews.append(candidate)
        if decision is ReviewDecision.APPROVED:
            assert gate
            item.approvers.add(candidate.reviewer_user_id)
        elif decision is ReviewDecision.CHANGES_REQUESTED:
            item.approvers = set()
        self._enter(item, new)

    @rule(i=indexes, actor=actors)
    def move_to_draft(self, i: int, actor: Actor) -> None:
        item = self.items[i]
        new = self._apply(item, "move_to_draft", actor)
        if new is not None:
            # Moving to draft clears the approvals (DOMAIN.md §9.2): the reviews of the
            # current revision stay in the history but no longer count.
            item.approvers = set()
            item.counted_from = len(item.reviews)
            self._enter(item, new)

    @rule(i=indexes, actor=actors, gate=mostly, ancestor=mostly)
    def queue(self, i: int, actor: Actor, gate: bool, ancestor: bool) -> None:
        item = self.items[i]
        new = self._apply(
            item, "queue", actor, submit_gate_passed=gate, integration_is_ancestor=ancestor
        )
        if new is not None:
            assert gate and ancestor
            positions = [x.queue_position for x in self.items if x.state is ChangesetState.QUEUED]
            self._enter(item, new)
            item.queue_position = next_queue_position(positions)

    @rule(
        i=indexes,
        actor=actors,
        action=st.sampled_from(["mark_conflicted", "mark_needs_revalidation", "release"]),
    )
    def system_event(self, i: int, actor: Actor, action: str) -> None:
        item = self.items[i]
        new = self._apply(item, action, actor)
        if new is not None:
            assert actor.system
            self._enter(item, new)

    @rule(i=indexes, reviewer=st.sampled_from([ACTORS[2], ACTORS[3], ACTORS[4]]))
    def progress(self, i: int, reviewer: Actor) -> None:
        """A permitted step along the happy path, so that runs reach the queue."""
        item = self.items[i]
        s = ChangesetState
        if item.state in (s.DRAFT, s.CHANGES_REQUESTED):
            self.submit(i, ACTORS[0], True, True)
        elif item.state in (s.SUBMITTED, s.IN_REVIEW):
            self.review(i, reviewer, ReviewDecision.APPROVED, True)
        elif item.state is s.APPROVED:
            self.queue(i, ACTORS[0], True, True)
        elif item.state is s.QUEUED:
            self.system_event(i, ACTORS[-1], "release")

    @invariant()
    def terminal_states_are_never_left(self) -> None:
        for item in self.items:
            if item.was_terminal:
                assert item.state in TERMINAL
            item.was_terminal = item.state in TERMINAL

    @invariant()
    def approvals_count_distinct_reviewers_of_the_current_revision(self) -> None:
        for item in self.items:
            assert approval_count(item.counted_reviews(), item.revision) == len(item.approvers)
            assert AUTHOR not in item.approvers
            if item.state is ChangesetState.APPROVED:
                assert len(item.approvers) >= self.required
            if item.state is ChangesetState.IN_REVIEW:
                assert len(item.approvers) < self.required
            if item.state in (ChangesetState.SUBMITTED, ChangesetState.CHANGES_REQUESTED):
                assert len(item.approvers) == 0

    @invariant()
    def queue_positions_are_unique(self) -> None:
        positions = [x.queue_position for x in self.items if x.state is ChangesetState.QUEUED]
        assert None not in positions
        assert len(set(positions)) == len(positions)


ChangesetMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=20, deadline=None
)
TestChangesetMachine = ChangesetMachine.TestCase
