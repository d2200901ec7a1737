"""Random invite lifecycles by random actors: accepted and deleted are final."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from conman_domain.errors import (
    Conflict,
    ConmanError,
    Forbidden,
    InviteExpired,
    InviteInvalid,
    NotFound,
)
from conman_domain.model import Invite, Role
from conman_domain.states import (
    INVITE_MACHINE,
    Actor,
    InviteState,
    TransitionContext,
    apply,
    invite_state,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ACTORS = [
    Actor(user_id="admin", role=Role.APP_ADMIN),
    Actor(user_id="cm", role=Role.CONFIG_MANAGER),
    Actor(user_id="invitee", role=None),
]
actors = st.sampled_from([*ACTORS, ACTORS[0]])


class InviteMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.invite: Invite | None = None
        self.ever_created = False
        self.members: set[str] = set()
        self.now = T0
        self.final_state: InviteState | None = None

    def _ctx(self, actor: Actor, **facts: object) -> TransitionContext:
        return TransitionContext(actor=actor, facts=facts)

    @rule(actor=actors)
    def create(self, actor: Actor) -> None:
        if self.ever_created:
            return
        pending = self.invite is not None and self.invite.pending
        ctx = self._ctx(actor, no_pending_invite=not pending, not_member="x@y" not in self.members)
        try:
            state = apply(INVITE_MACHINE, None, "create", ctx)
        except Forbidden:
            assert actor.role is not Role.APP_ADMIN
            return
        except Conflict:
            return
        assert actor.role is Role.APP_ADMIN
        self.ever_created = True
        self.invite = Invite(
            id="i" * 24, created_at=self.now, updated_at=self.now, app_id="a", email="x@y",
            role=Role.REVIEWER, invited_by="admin", expires_at=self.now + timedelta(days=7),
            token_hash="h", pending=state == InviteState.PENDING,
        )  # fmt: skip

    @rule(days=st.integers(min_value=0, max_value=10))
    def time_passes(self, days: int) -> None:
        self.now += timedelta(days=days)

    @rule(actor=actors, action=st.sampled_from(["resend", "accept", "revoke"]))
    def act(self, actor: Actor, action: str) -> None:
        state = invite_state(self.invite)
        not_expired = self.invite is not None and self.now < self.invite.expires_at
        try:
            new = apply(INVITE_MACHINE, state, action, self._ctx(actor, not_expired=not_expired))
        except Forbidden:
            assert action != "accept" and actor.role is not Role.APP_ADMIN
            return
        except InviteExpired:
            assert action == "accept" and not not_expired
            return
        except InviteInvalid:
            assert state is not InviteState.PENDING
            return
        except NotFound:
            assert state is InviteState.DELETED
            return
        except ConmanError as exc:
            raise AssertionError(f"unexpected {exc!r}") from exc
        assert state is InviteState.PENDING and self.invite is not None
        if new == InviteState.PENDING:  # resend: new token, new expiry
            self.invite.expires_at = self.now + timedelta(days=7)
        elif new == InviteState.ACCEPTED:
            self.invite.accepted_at = self.now
            self.invite.pending = False
            self.members.add(self.invite.email)
        else:
            self.invite = None

    @invariant()
    def accepted_and_deleted_invites_are_final(self) -> None:
        current = invite_state(self.invite)
        if self.final_state is not None:
            assert current is self.final_state
        if self.ever_created and current is not InviteState.PENDING:
            self.final_state = current

    @invariant()
    def an_accepted_invite_made_a_member(self) -> None:
        if self.invite is not None and not self.invite.pending:
            assert self.invite.email in self.members


InviteMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=20, deadline=None)
TestInviteMachine = InviteMachine.TestCase
