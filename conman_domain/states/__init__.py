"""State machines as transition tables plus guard functions (DOMAIN.md §3, §9, §13, §14,
§16, §17, §18)."""

from __future__ import annotations

from conman_domain.states.changeset import (
    CHANGESET_MACHINE,
    approval_count,
    next_queue_position,
    required_approval_count,
    set_changeset_state,
)
from conman_domain.states.deployment import (
    DEPLOYMENT_MACHINE,
    check_approvals,
    check_stage,
    ensure_no_active_deployment,
    is_concurrent,
    next_stage,
    set_deployment_state,
)
from conman_domain.states.invite import INVITE_MACHINE, InviteState, invite_state
from conman_domain.states.job import JOB_MACHINE, retry_backoff
from conman_domain.states.machine import (
    Actor,
    ActorRule,
    Guard,
    Machine,
    Transition,
    TransitionContext,
    apply,
    check_actor,
    fact_guard,
    row,
)
from conman_domain.states.outbox import MAX_OUTBOX_ATTEMPTS, OUTBOX_MACHINE, outbox_backoff
from conman_domain.states.release import (
    MUTABLE_RELEASE_STATES,
    RELEASE_MACHINE,
    ensure_release_mutable,
)
from conman_domain.states.temp_env import (
    MAX_LIFETIME,
    TEMP_ENV_MACHINE,
    expire,
    extend,
    mark_provisioned,
    start_grace,
    sweep_action,
    touch,
    undo_expire,
)

__all__ = [
    "CHANGESET_MACHINE",
    "DEPLOYMENT_MACHINE",
    "INVITE_MACHINE",
    "JOB_MACHINE",
    "MAX_LIFETIME",
    "MAX_OUTBOX_ATTEMPTS",
    "MUTABLE_RELEASE_STATES",
    "OUTBOX_MACHINE",
    "RELEASE_MACHINE",
    "TEMP_ENV_MACHINE",
    "Actor",
    "ActorRule",
    "Guard",
    "InviteState",
    "Machine",
    "Transition",
    "TransitionContext",
    "apply",
    "approval_count",
    "check_actor",
    "check_approvals",
    "check_stage",
    "ensure_no_active_deployment",
    "ensure_release_mutable",
    "expire",
    "extend",
    "fact_guard",
    "invite_state",
    "is_concurrent",
    "mark_provisioned",
    "next_queue_position",
    "next_stage",
    "outbox_backoff",
    "required_approval_count",
    "retry_backoff",
    "row",
    "set_changeset_state",
    "set_deployment_state",
    "start_grace",
    "sweep_action",
    "touch",
    "undo_expire",
]
