"""Random job lifecycles: attempts never exceed max_attempts; terminal states are final."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from conman_domain.errors import ConmanError, Forbidden, InvalidTransition
from conman_domain.model import JobState, Role
from conman_domain.states import JOB_MACHINE, Actor, TransitionContext, apply

J = JobState
TERMINAL = {J.SUCCEEDED, J.FAILED, J.CANCELED}
TRIGGERING = "owner"
ACTORS = [
    Actor(user_id=TRIGGERING, role=Role.USER),
    Actor(user_id="other", role=Role.REVIEWER),
    Actor(user_id="cm", role=Role.CONFIG_MANAGER),
    Actor.system_actor(),
]
actors = st.sampled_from([*ACTORS, ACTORS[-1], ACTORS[-1], ACTORS[-1]])


def may(action: str, actor: Actor) -> bool:
    """DOMAIN.md §17.2 "Who": the runner (system), except cancel by CM+ or the trigger."""
    if action != "cancel":
        return actor.system
    if actor.system or actor.role is None:
        return False
    return actor.user_id == TRIGGERING or actor.role >= Role.CONFIG_MANAGER


class JobMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state: JobState | None = None
        self.attempts = 0
        self.max_attempts = 1
        self.was_terminal = False

    @initialize(max_attempts=st.integers(min_value=1, max_value=3))
    def enqueue(self, max_attempts: int) -> None:
        self.max_attempts = max_attempts
        self.state = J(apply(JOB_MACHINE, None, "enqueue", TransitionContext(actor=ACTORS[-1])))

    @rule(
        actor=actors,
        action=st.sampled_from(
            ["claim", "cancel", "succeed", "fail_retryable", "fail_final", "reclaim"]
        ),
        due=st.booleans(),
        lease_expired=st.booleans(),
    )
    def act(self, actor: Actor, action: str, due: bool, lease_expired: bool) -> None:
        facts = {
            "due": due,
            "lease_expired": lease_expired,
            "attempts_left": self.attempts < self.max_attempts,
        }
        ctx = TransitionContext(actor=actor, owner_user_id=TRIGGERING, facts=facts)
        permitted = may(action, actor)
        try:
            new = J(apply(JOB_MACHINE, self.state, action, ctx))
        except Forbidden:
            assert not permitted
            return
        except InvalidTransition:
            assert permitted and action not in JOB_MACHINE.allowed_actions(self.state)
            return
        except ConmanError:
            assert permitted
            return
        assert permitted
        if action == "claim" or (action == "reclaim" and new is J.RUNNING):
            self.attempts += 1
        if action in ("fail_retryable", "reclaim") and new is J.FAILED:
            assert self.attempts >= self.max_attempts
        self.state = new

    @invariant()
    def attempts_never_exceed_max_attempts(self) -> None:
        assert self.attempts <= self.max_attempts

    @invariant()
    def terminal_states_are_never_left(self) -> None:
        if self.was_terminal:
            assert self.state in TERMINAL
        self.was_terminal = self.state in TERMINAL


JobMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=20, deadline=None)
TestJobMachine = JobMachine.TestCase
