"""Random release lifecycles: published releases never change their changesets."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from conman_domain.errors import Conflict, ConmanError, Forbidden, InvalidTransition
from conman_domain.model import Release, ReleaseState, Role
from conman_domain.states import (
    RELEASE_MACHINE,
    Actor,
    TransitionContext,
    apply,
    ensure_release_mutable,
)

R = ReleaseState
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ACTORS = [
    Actor(user_id="cm", role=Role.CONFIG_MANAGER),
    Actor(user_id="admin", role=Role.APP_ADMIN),
    Actor(user_id="rev", role=Role.REVIEWER),
    Actor(user_id="user", role=Role.USER),
    Actor.system_actor(),
]
SYSTEM_ACTIONS = {
    "validation_passed",
    "assembly_failed",
    "publish_aborted",
    "deployment_succeeded",
    "rolled_back",
}
CHANGESETS = ["c0", "c1", "c2", "c3"]
actors = st.sampled_from([*ACTORS, ACTORS[0], ACTORS[-1], ACTORS[-1]])
mostly = st.sampled_from([True, True, True, False])
slots = st.integers(min_value=0, max_value=2)


def may(action: str, actor: Actor) -> bool:
    """DOMAIN.md §13.2 "Who": CM+ for user actions, the system for the rest."""
    if action in SYSTEM_ACTIONS:
        return actor.system
    return not actor.system and actor.role is not None and actor.role >= Role.CONFIG_MANAGER


class ReleaseMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.releases: list[Release | None] = [None, None, None]
        self.members: list[set[str]] = [set(), set(), set()]
        self.queued = set(CHANGESETS)
        self.published_sets: dict[int, frozenset[str]] = {}
        self.terminal_seen: set[int] = set()

    def _step(self, slot: int, action: str, actor: Actor, **facts: object) -> str | None:
        release = self.releases[slot]
        state = None if release is None else release.state
        permitted = may(action, actor)
        try:
            new = apply(RELEASE_MACHINE, state, action, TransitionContext(actor=actor, facts=facts))
        except Forbidden:
            assert not permitted
            return None
        except InvalidTransition:
            assert permitted and action not in RELEASE_MACHINE.allowed_actions(state)
            return None
        except ConmanError:
            assert permitted
            return None
        assert permitted
        return new

    def _busy_elsewhere(self, slot: int) -> set[str]:
        busy: set[str] = set()
        for i, r in enumerate(self.releases):
            if i != slot and r is not None and r.state is not R.DRAFT_RELEASE:
                busy |= self.members[i]
        return busy

    @rule(slot=slots, actor=actors, members=st.sets(st.sampled_from(CHANGESETS), max_size=3))
    def create(self, slot: int, actor: Actor, members: set[str]) -> None:
        if self.releases[slot] is not None:
            return
        ok = members <= self.queued and not (members & self._busy_elsewhere(slot))
        new = self._step(slot, "create", actor, members_queued_and_free=ok)
        if new is not None:
            assert ok
            self.releases[slot] = Release(
                id=f"{slot:024x}", created_at=T0, updated_at=T0, app_id="a",
                state=R(new), ordered_changeset_ids=sorted(members), created_by="cm",
            )  # fmt: skip
            self.members[slot] = set(members)

    @rule(slot=slots, add=st.sampled_from(CHANGESETS), remove=st.booleans())
    def modify_members(self, slot: int, add: str, remove: bool) -> None:
        release = self.releases[slot]
        if release is None:
            return
        try:
            ensure_release_mutable(release)
        except Conflict:
            assert release.state is not R.DRAFT_RELEASE
            return
        if remove:
            self.members[slot].discard(add)
        elif add in self.queued:
            self.members[slot].add(add)

    @rule(slot=slots, actor=actors)
    def assemble(self, slot: int, actor: Actor) -> None:
        if self.releases[slot] is None:
            return
        members = self.members[slot]
        new = self._step(
            slot,
            "assemble",
            actor,
            has_members=bool(members),
            members_queued=members <= self.queued,
            members_free=not (members & self._busy_elsewhere(slot)),
        )
        if new is not None:
            self._enter(slot, new)

    @rule(slot=slots, actor=actors, publishable=mostly)
    def publish(self, slot: int, actor: Actor, publishable: bool) -> None:
        if self.releases[slot] is None:
            return
        new = self._step(slot, "publish", actor, publishable=publishable)
        if new is not None:
            assert publishable
            self._enter(slot, new)
            self.published_sets[slot] = frozenset(self.members[slot])
            self.queued -= self.members[slot]
            for i, r in enumerate(self.releases):  # publishing removes them from drafts
                if i != slot and r is not None and r.state is R.DRAFT_RELEASE:
                    self.members[i] -= self.members[slot]

    @rule(
        slot=slots,
        actor=actors,
        action=st.sampled_from(sorted(SYSTEM_ACTIONS)),
        all_deployed=st.booleans(),
    )
    def system_event(self, slot: int, actor: Actor, action: str, all_deployed: bool) -> None:
        if self.releases[slot] is None:
            return
        new = self._step(slot, action, actor, all_environments_deployed=all_deployed)
        if new is not None:
            self._enter(slot, new)

    def _enter(self, slot: int, new: str) -> None:
        release = self.releases[slot]
        assert release is not None
        release.state = R(new)

    @invariant()
    def rolled_back_is_never_left(self) -> None:
        for i, r in enumerate(self.releases):
            if i in self.terminal_seen:
                assert r is not None and r.state is R.ROLLED_BACK
            if r is not None and r.state is R.ROLLED_BACK:
                self.terminal_seen.add(i)

    @invariant()
    def published_releases_never_change_their_changesets(self) -> None:
        for slot, frozen in self.published_sets.items():
            release = self.releases[slot]
            assert release is not None
            assert release.state not in (R.DRAFT_RELEASE, R.ASSEMBLING, R.VALIDATED)
            assert frozenset(self.members[slot]) == frozen

    @invariant()
    def a_changeset_is_in_at_most_one_non_draft_release(self) -> None:
        seen: set[str] = set()
        for i, r in enumerate(self.releases):
            if r is not None and r.state is not R.DRAFT_RELEASE:
                assert not (seen & self.members[i])
                seen |= self.members[i]


ReleaseMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=20, deadline=None)
TestReleaseMachine = ReleaseMachine.TestCase
