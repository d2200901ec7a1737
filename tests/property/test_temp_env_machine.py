"""Random temp env lifecycles: timestamps stay ordered, deleted is final."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from conman_domain.errors import ConmanError, Forbidden, GraceExpired, InvalidTransition
from conman_domain.model import Role, TempEnvironment, TempEnvKind, TempEnvState
from conman_domain.states import (
    MAX_LIFETIME,
    TEMP_ENV_MACHINE,
    Actor,
    TransitionContext,
    apply,
    expire,
    extend,
    mark_provisioned,
    start_grace,
    sweep_action,
    touch,
    undo_expire,
)

T = TempEnvState
T0 = datetime(2026, 1, 1, tzinfo=UTC)
CREATOR = "creator"
ACTORS = [
    Actor(user_id=CREATOR, role=Role.USER),
    Actor(user_id="other", role=Role.USER),
    Actor(user_id="cm", role=Role.CONFIG_MANAGER),
    Actor(user_id="outsider", role=None),
]
actors = st.sampled_from([*ACTORS, ACTORS[0]])


def may_manage(actor: Actor) -> bool:
    """Extend, undo-expire, delete: the creator or CM+ (DOMAIN.md §16.2)."""
    return actor.role is not None and (
        actor.user_id == CREATOR or actor.role >= Role.CONFIG_MANAGER
    )


class TempEnvMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.ttl = 24
        self.grace = 1
        self.env = TempEnvironment(
            id="t" * 24, created_at=T0, updated_at=T0, app_id="a", kind=TempEnvKind.WORKSPACE,
            workspace_id="w", base_runtime_profile_id="p", db_name="tmp_a_t", base_url="https://x",
            snapshot_branch="temp/t/ws", created_by=CREATOR, source_key="ws:w",
        )  # fmt: skip
        self.deleted_seen = False
        self.max_extended_expiry = T0

    @initialize(
        ttl=st.integers(min_value=1, max_value=168),
        grace=st.integers(min_value=0, max_value=72),
        ok=st.sampled_from([True, True, True, False]),
    )
    def provision(self, ttl: int, grace: int, ok: bool) -> None:
        self.ttl, self.grace = ttl, grace
        if ok:
            mark_provisioned(self.env, self.now, ttl)
        else:
            system = TransitionContext(actor=Actor.system_actor())
            self.env.state = T(apply(TEMP_ENV_MACHINE, self.env.state, "provision_failed", system))
            self.env.live = False

    @rule(hours=st.integers(min_value=0, max_value=80))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours, minutes=hours % 7)

    @rule(actor=actors)
    def touch(self, actor: Actor) -> None:
        before = self.env.state
        try:
            touch(self.env, actor, self.now, self.ttl)
        except Forbidden:
            assert actor.role is None
        except InvalidTransition:
            assert before is not T.ACTIVE
        else:
            assert before is T.ACTIVE and self.env.last_activity_at == self.now

    @rule(actor=actors, hours=st.integers(min_value=1, max_value=48))
    def extend(self, actor: Actor, hours: int) -> None:
        before = self.env.expires_at
        try:
            extend(self.env, actor, hours)
        except Forbidden:
            assert not may_manage(actor)
        except ConmanError:
            pass
        else:
            assert may_manage(actor) and before is not None
            assert self.env.expires_at == before + timedelta(hours=hours)

    @rule()
    def sweep(self) -> None:
        action = sweep_action(self.env, self.now)
        if action == "warn":
            self.env.expiry_warning_sent = True
        elif action == "expire":
            start_grace(self.env, self.now, self.grace)
        elif action == "grace_elapsed":
            expire(self.env, self.now)

    @rule(actor=actors)
    def undo_expire(self, actor: Actor) -> None:
        before = self.env.state
        grace_until = self.env.grace_until
        try:
            undo_expire(self.env, actor, self.now, self.ttl)
        except Forbidden:
            assert not may_manage(actor)
        except GraceExpired:
            assert before is T.EXPIRED or (grace_until is not None and self.now >= grace_until)
        except InvalidTransition:
            assert before not in (T.EXPIRING, T.EXPIRED)
        else:
            assert before is T.EXPIRING and grace_until is not None and self.now < grace_until

    @rule(actor=actors, action=st.sampled_from(["delete", "cleaned_up"]))
    def remove(self, actor: Actor, action: str) -> None:
        ctx = TransitionContext(actor=actor, owner_user_id=CREATOR)
        try:
            new = apply(TEMP_ENV_MACHINE, self.env.state, action, ctx)
        except ConmanError:
            return
        if action == "delete":
            assert may_manage(actor)
        self.env.state = T(new)
        self.env.live = False

    @invariant()
    def timestamps_stay_ordered(self) -> None:
        env = self.env
        if env.last_activity_at is not None:
            assert env.created_at <= env.last_activity_at
            assert env.expires_at is not None and env.last_activity_at <= env.expires_at
        if env.state is T.EXPIRING:
            assert env.grace_until is not None and env.expires_at is not None
            assert env.expires_at <= env.grace_until
        if env.state is T.ACTIVE:
            assert env.grace_until is None

    @invariant()
    def live_flag_mirrors_the_state(self) -> None:
        assert self.env.live == (self.env.state in (T.PROVISIONING, T.ACTIVE, T.EXPIRING))

    @invariant()
    def extension_alone_never_passes_the_maximum_lifetime(self) -> None:
        env = self.env
        if env.expires_at is not None and env.last_activity_at is not None:
            by_activity = env.last_activity_at + timedelta(hours=self.ttl)
            assert env.expires_at <= max(env.created_at + MAX_LIFETIME, by_activity)

    @invariant()
    def deleted_is_never_left(self) -> None:
        if self.deleted_seen:
            assert self.env.state is T.DELETED
        self.deleted_seen = self.env.state is T.DELETED


TempEnvMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=20, deadline=None)
TestTempEnvMachine = TempEnvMachine.TestCase
