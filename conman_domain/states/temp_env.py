"""Temp environment state machine (DOMAIN.md §16.2) and its timestamp rules (§16.3).

The functions below apply a transition and update ``last_activity_at``, ``expires_at``,
``grace_until`` and ``expiry_warning_sent`` together, keeping them ordered:
``created_at ≤ last_activity_at ≤ expires_at`` and, while expiring,
``expires_at ≤ grace_until``. They mutate and return the given entity.
Facts: ``no_live_temp_env`` (create), ``within_max_lifetime`` (extend), ``past_expiry``
(expire), ``before_grace`` (undo_expire), ``past_grace`` (grace_elapsed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from conman_domain.errors import GraceExpired, Validation
from conman_domain.model.temp_envs import LIVE_TEMP_ENV_STATES, TempEnvironment, TempEnvState
from conman_domain.states.machine import (
    Actor,
    ActorRule,
    Machine,
    TransitionContext,
    apply,
    fact_guard,
    row,
)

__all__ = [
    "EXPIRY_WARNING_WINDOW",
    "MAX_LIFETIME",
    "TEMP_ENV_MACHINE",
    "expire",
    "extend",
    "mark_provisioned",
    "start_grace",
    "sweep_action",
    "touch",
    "undo_expire",
]

T = TempEnvState
MAX_LIFETIME = timedelta(hours=72)
EXPIRY_WARNING_WINDOW = timedelta(hours=1)


def _grace_expired() -> GraceExpired:
    return GraceExpired("the grace period has ended")


TEMP_ENV_MACHINE = Machine(
    name="temp_environment",
    states=tuple(T),
    terminal=frozenset({T.DELETED}),
    transitions=(
        row(
            [None],
            T.PROVISIONING,
            "create",
            ActorRule.MEMBER,
            fact_guard("no_live_temp_env", "the source already has a live temp environment"),
        ),
        row([T.PROVISIONING], T.ACTIVE, "provisioned", ActorRule.SYSTEM),
        row([T.PROVISIONING], T.DELETED, "provision_failed", ActorRule.SYSTEM),
        row(
            [T.ACTIVE],
            T.ACTIVE,
            "extend",
            ActorRule.OWNER_OR_CM,
            fact_guard("within_max_lifetime", "exceeds maximum lifetime", Validation),
        ),
        row([T.ACTIVE], T.ACTIVE, "touch", ActorRule.MEMBER),
        row(
            [T.ACTIVE],
            T.EXPIRING,
            "expire",
            ActorRule.SYSTEM,
            fact_guard("past_expiry", "the temp environment has not expired"),
        ),
        row([T.ACTIVE, T.EXPIRING], T.DELETED, "delete", ActorRule.OWNER_OR_CM),
        row(
            [T.EXPIRING],
            T.ACTIVE,
            "undo_expire",
            ActorRule.OWNER_OR_CM,
            fact_guard("before_grace", "the grace period has ended", GraceExpired),
        ),
        row(
            [T.EXPIRING],
            T.EXPIRED,
            "grace_elapsed",
            ActorRule.SYSTEM,
            fact_guard("past_grace", "the grace period has not ended"),
        ),
        row([T.EXPIRED], T.DELETED, "cleaned_up", ActorRule.SYSTEM),
    ),
    rejections={(T.EXPIRED, "undo_expire"): _grace_expired},
)

_SYSTEM = Actor.system_actor()


def _set_state(env: TempEnvironment, state: str) -> None:
    env.state = TempEnvState(state)
    env.live = env.state in LIVE_TEMP_ENV_STATES


def _ctx(actor: Actor, env: TempEnvironment, **facts: bool) -> TransitionContext:
    return TransitionContext(actor=actor, owner_user_id=env.created_by, facts=facts)


def mark_provisioned(env: TempEnvironment, now: datetime, ttl_hours: int) -> TempEnvironment:
    """provisioning → active; the TTL clock starts now."""
    _set_state(env, apply(TEMP_ENV_MACHINE, env.state, "provisioned", _ctx(_SYSTEM, env)))
    env.last_activity_at = now
    env.expires_at = now + timedelta(hours=ttl_hours)
    env.grace_until = None
    env.expiry_warning_sent = False
    return env


def touch(env: TempEnvironment, actor: Actor, now: datetime, ttl_hours: int) -> TempEnvironment:
    """Activity: ``expires_at = max(expires_at, now + TTL)``; never restores an expiring env."""
    apply(TEMP_ENV_MACHINE, env.state, "touch", _ctx(actor, env))
    env.last_activity_at = now
    candidate = now + timedelta(hours=ttl_hours)
    if env.expires_at is None or candidate > env.expires_at:
        env.expires_at = candidate
        env.expiry_warning_sent = False
    return env


def extend(env: TempEnvironment, actor: Actor, hours: int = 24) -> TempEnvironment:
    """``expires_at += hours`` (1..48), never beyond ``created_at + 72 h`` (400)."""
    if not 1 <= hours <= 48:
        raise Validation("hours must be between 1 and 48")
    current = env.expires_at or env.created_at
    new_expiry = current + timedelta(hours=hours)
    within = new_expiry <= env.created_at + MAX_LIFETIME
    apply(TEMP_ENV_MACHINE, env.state, "extend", _ctx(actor, env, within_max_lifetime=within))
    env.expires_at = new_expiry
    env.expiry_warning_sent = False
    return env


def start_grace(env: TempEnvironment, now: datetime, grace_hours: int) -> TempEnvironment:
    """Sweep: active past ``expires_at`` → expiring with ``grace_until = now + grace``."""
    past = env.expires_at is not None and env.expires_at <= now
    _set_state(
        env, apply(TEMP_ENV_MACHINE, env.state, "expire", _ctx(_SYSTEM, env, past_expiry=past))
    )
    env.grace_until = now + timedelta(hours=grace_hours)
    return env


def undo_expire(
    env: TempEnvironment, actor: Actor, now: datetime, ttl_hours: int
) -> TempEnvironment:
    """expiring → active before ``grace_until``; at or after it → 410 ``grace_expired``."""
    before = env.grace_until is not None and now < env.grace_until
    ctx = _ctx(actor, env, before_grace=before)
    _set_state(env, apply(TEMP_ENV_MACHINE, env.state, "undo_expire", ctx))
    env.last_activity_at = now
    env.expires_at = now + timedelta(hours=ttl_hours)
    env.grace_until = None
    env.expiry_warning_sent = False
    return env


def expire(env: TempEnvironment, now: datetime) -> TempEnvironment:
    """Sweep: expiring past ``grace_until`` → expired (cleanup is enqueued by the caller)."""
    past = env.grace_until is not None and env.grace_until <= now
    ctx = _ctx(_SYSTEM, env, past_grace=past)
    _set_state(env, apply(TEMP_ENV_MACHINE, env.state, "grace_elapsed", ctx))
    return env


def sweep_action(env: TempEnvironment, now: datetime) -> str | None:
    """What the sweep does to ``env`` now: ``warn``, ``expire``, ``grace_elapsed`` or None."""
    if env.state is T.ACTIVE and env.expires_at is not None:
        if env.expires_at <= now:
            return "expire"
        if not env.expiry_warning_sent and env.expires_at <= now + EXPIRY_WARNING_WINDOW:
            return "warn"
    if env.state is T.EXPIRING and env.grace_until is not None and env.grace_until <= now:
        return "grace_elapsed"
    return None
