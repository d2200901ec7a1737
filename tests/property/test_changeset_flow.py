"""Random sequences of writes, submits, resubmits, gate runs, reviews by random actors,
queue entries and moves to draft, through the real use cases over a memory store and
memory git: approvals, revisions and states stay consistent (DOMAIN.md §9, §12.1)."""

from __future__ import annotations

import msgspec
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from conman_domain.errors import ConmanError, Forbidden, InvalidTransition
from conman_domain.model import ChangesetState, ReviewDecision, Role, User
from conman_domain.states import approval_count
from conman_domain.usecases.changeset_deps import submit_gate_passed
from tests.unit.changeset_support import ChangesetWorld

S = ChangesetState
NAMES = ["alice", "bob", "rev1", "rev2", "cm", "root"]
names = st.sampled_from([*NAMES, "alice", "alice", "rev1", "rev2"])
# Weighted towards the actors who may act, so that sequences get deep into the flow.
authors = st.sampled_from([*NAMES, "alice", "alice", "alice", "alice"])
reviewers = st.sampled_from([*NAMES, "rev1", "rev1", "rev2", "rev2", "cm"])
approvals = st.sampled_from([*ReviewDecision, ReviewDecision.APPROVED, ReviewDecision.APPROVED])
mostly = st.sampled_from([True, True, True, False])
ACTIONS = ["submit", "gates", "review", "queue", "review", "move_to_draft", "write"]


class ChangesetFlow(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = ChangesetWorld()
        self.files = 0
        self.required = 1
        self.changeset_id = ""

    @initialize(required=st.integers(min_value=1, max_value=2))
    def start(self, required: int) -> None:
        w = self.world
        app = w.repos.apps.get(w.app.id)
        new = msgspec.structs.replace(app.settings, required_approvals=required)
        w.repos.apps.set_fields(app.id, app.version, {"settings": msgspec.to_builtins(new)})
        self.required = required
        view = w.services.changesets.create(
            w.caller(w.alice), workspace_id=w.workspace.id, title="flow"
        )
        self.changeset_id = view.id

    def user(self, name: str) -> User:
        user: User = getattr(self.world, name)
        return user

    def role(self, name: str) -> Role:
        return self.world.roles[self.user(name).id]

    def _try(self, allowed: bool, action: object) -> bool:
        """Run ``action``; a 403 must match ``allowed``; other refusals are fine."""
        try:
            action()  # type: ignore[operator]
        except Forbidden:
            assert not allowed
            return False
        except (InvalidTransition, ConmanError):
            assert allowed
            return False
        assert allowed
        return True

    @rule(
        action=st.sampled_from(ACTIONS),
        author=authors,
        reviewer=reviewers,
        decision=approvals,
        flag=mostly,
    )
    def step(
        self, action: str, author: str, reviewer: str, decision: ReviewDecision, flag: bool
    ) -> None:
        """One action. The actions are drawn from one list in flow order: Hypothesis
        favours the first rules of a machine, which kept sequences shallow."""
        if action == "submit":
            self.submit(author, flag, flag)
        elif action == "gates":
            self.gates(flag)
        elif action == "review":
            self.review(reviewer, decision)
        elif action == "queue":
            self.queue(author)
        elif action == "move_to_draft":
            self.move_to_draft(author)
        else:
            self.write(int(flag))

    def write(self, content: int) -> None:
        self.files += 1
        self.world.write(f"config/f{self.files % 3}.json", str(content).encode())

    def submit(self, name: str, natural: bool, edit: bool) -> None:
        """Submit a draft or resubmit otherwise (``natural``), or the other way round."""
        w = self.world
        if edit:
            self.write(self.files)
        before = w.repos.changesets.get(self.changeset_id)
        kind = "submit" if (before.state is S.DRAFT) == natural else "resubmit"
        done = self._try(
            name == "alice",
            lambda: w.services.submit(w.caller(self.user(name)), self.changeset_id, kind),  # type: ignore[arg-type]
        )
        after = w.repos.changesets.get(self.changeset_id)
        if done:
            assert after.current_revision == before.current_revision + 1
            assert (after.state, after.approval_count) == (S.SUBMITTED, 0)
        else:
            assert after.current_revision == before.current_revision

    def gates(self, passed: bool) -> None:
        self.world.run_gates(passed=passed)

    def review(self, name: str, decision: ReviewDecision) -> None:
        w = self.world
        allowed = name != "alice" and self.role(name).at_least(Role.REVIEWER)
        before = w.repos.changesets.get(self.changeset_id)
        self._try(
            allowed,
            lambda: w.services.review(w.caller(self.user(name)), self.changeset_id, decision, None),
        )
        after = w.repos.changesets.get(self.changeset_id)
        if after.state is S.REJECTED:
            assert before.state in (S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED, S.REJECTED)

    def queue(self, name: str) -> None:
        w = self.world
        allowed = name == "alice" or self.role(name).at_least(Role.CONFIG_MANAGER)
        self._try(allowed, lambda: w.services.queue(w.caller(self.user(name)), self.changeset_id))

    def move_to_draft(self, name: str) -> None:
        w = self.world
        allowed = name == "alice" or self.role(name).at_least(Role.CONFIG_MANAGER)
        self._try(
            allowed,
            lambda: w.services.changesets.move_to_draft(
                w.caller(self.user(name)), self.changeset_id
            ),
        )

    @invariant()
    def revisions_are_contiguous_and_match_the_head(self) -> None:
        if not self.changeset_id:
            return
        w = self.world
        cs = w.repos.changesets.get(self.changeset_id)
        revisions = w.repos.changeset_revisions.all(
            {"changeset_id": cs.id}, sort=(("revision_number", 1),)
        )
        assert [r.revision_number for r in revisions] == list(range(1, cs.current_revision + 1))
        if revisions:
            assert cs.head_sha == revisions[-1].head_sha
            assert cs.base_sha == revisions[-1].base_sha
            job = w.repos.jobs.get(cs.last_submit_job_id or "")
            assert job.payload["revision_number"] == cs.current_revision

    @invariant()
    def approvals_follow_the_reviews_of_the_current_revision(self) -> None:
        if not self.changeset_id:
            return
        w = self.world
        cs = w.repos.changesets.get(self.changeset_id)
        reviews = sorted(
            w.repos.reviews.all({"changeset_id": cs.id}), key=lambda r: (r.created_at, r.id)
        )
        assert all(1 <= r.revision_number <= cs.current_revision for r in reviews)
        counted = approval_count(reviews, cs.current_revision)
        if cs.state in (S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.CHANGES_REQUESTED):
            assert cs.approval_count == counted
        if cs.state is S.DRAFT:
            assert cs.approval_count == 0
        if cs.state is S.IN_REVIEW:
            assert 1 <= cs.approval_count < self.required
        if cs.state in (S.APPROVED, S.QUEUED):
            assert cs.approval_count >= self.required
        if cs.state in (S.IN_REVIEW, S.APPROVED, S.QUEUED):
            assert submit_gate_passed(w.cs_deps, cs)

    @invariant()
    def derived_fields_follow_the_state(self) -> None:
        if not self.changeset_id:
            return
        cs = self.world.repos.changesets.get(self.changeset_id)
        event(f"reached {cs.state.value}")
        assert cs.is_open == (cs.state not in (S.RELEASED, S.REJECTED))
        assert (cs.queue_position is not None) == (cs.state is S.QUEUED)
        if cs.state is S.DRAFT:
            assert cs.last_revalidation_status is None


TestChangesetFlow = ChangesetFlow.TestCase
TestChangesetFlow.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
