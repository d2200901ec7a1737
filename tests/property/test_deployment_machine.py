"""Random deployments across environments: at most one active deployment per environment."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from conman_domain.errors import Conflict, ConmanError, Forbidden, InvalidTransition
from conman_domain.model import Deployment, DeploymentKind, DeploymentState, Role
from conman_domain.states import (
    DEPLOYMENT_MACHINE,
    Actor,
    TransitionContext,
    apply,
    ensure_no_active_deployment,
    set_deployment_state,
)

D = DeploymentState
T0 = datetime(2026, 1, 1, tzinfo=UTC)
TERMINAL = {D.SUCCEEDED, D.FAILED, D.CANCELED}
ACTORS = [
    Actor(user_id="cm", role=Role.CONFIG_MANAGER),
    Actor(user_id="admin", role=Role.APP_ADMIN),
    Actor(user_id="rev", role=Role.REVIEWER),
    Actor(user_id="user", role=Role.USER),
    Actor.system_actor(),
]
actors = st.sampled_from([*ACTORS, ACTORS[0], ACTORS[-1]])
envs = st.sampled_from(["E0", "E1", "E2"])


def may(action: str, actor: Actor) -> bool:
    """DOMAIN.md §14.8 "Who"."""
    if action in ("start", "succeed", "fail"):
        return actor.system
    return not actor.system and actor.role is not None and actor.role >= Role.CONFIG_MANAGER


class DeploymentMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.deployments: list[Deployment] = []
        self.was_terminal: set[int] = set()

    def _try(self, state: str | None, action: str, actor: Actor, **facts: object) -> str | None:
        permitted = may(action, actor)
        try:
            new = apply(
                DEPLOYMENT_MACHINE, state, action, TransitionContext(actor=actor, facts=facts)
            )
        except Forbidden:
            assert not permitted
            return None
        except InvalidTransition:
            assert permitted and action not in DEPLOYMENT_MACHINE.allowed_actions(state)
            return None
        except ConmanError:
            assert permitted
            return None
        assert permitted
        return new

    @rule(env=envs, actor=actors, release=st.sampled_from(["R1", "R2"]))
    def request(self, env: str, actor: Actor, release: str) -> None:
        try:
            ensure_no_active_deployment(self.deployments, env)
            free = True
        except Conflict:
            free = False
        new = self._try(None, "create", actor, no_active_deployment=free)
        if new is None:
            return
        assert free
        self.deployments.append(
            Deployment(
                id=f"{len(self.deployments):024x}",
                created_at=T0,
                updated_at=T0,
                app_id="a",
                environment_id=env,
                release_id=release,
                kind=DeploymentKind.DEPLOY,
                state=D(new),
                created_by=actor.user_id or "",
            )
        )

    @rule(
        data=st.data(),
        actor=actors,
        action=st.sampled_from(["start", "cancel", "succeed", "fail"]),
        before_record=st.booleans(),
    )
    def act(self, data: st.DataObject, actor: Actor, action: str, before_record: bool) -> None:
        if not self.deployments:
            return
        i = data.draw(st.integers(min_value=0, max_value=len(self.deployments) - 1))
        dep = self.deployments[i]
        new = self._try(dep.state, action, actor, before_record_step=before_record)
        if new is not None:
            set_deployment_state(dep, D(new))

    @invariant()
    def at_most_one_active_deployment_per_environment(self) -> None:
        active = Counter(d.environment_id for d in self.deployments if d.active)
        assert all(n <= 1 for n in active.values())
        for d in self.deployments:
            assert d.active == (d.state in (D.PENDING, D.RUNNING))

    @invariant()
    def terminal_states_are_never_left(self) -> None:
        for i, d in enumerate(self.deployments):
            if i in self.was_terminal:
                assert d.state in TERMINAL
            if d.state in TERMINAL:
                self.was_terminal.add(i)


DeploymentMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=20, deadline=None
)
TestDeploymentMachine = DeploymentMachine.TestCase
