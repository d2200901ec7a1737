"""Deployment state machine (DOMAIN.md §14.8), the environment lock (§14.1), stage rules
(§14.2) and approval counting (§14.3).

Facts: ``no_active_deployment`` (create), ``before_record_step`` (cancel of a running
deployment: false once step 8 has begun).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from conman_domain.errors import Conflict, Validation
from conman_domain.model.apps import Role
from conman_domain.model.deployments import (
    ACTIVE_DEPLOYMENT_STATES,
    Deployment,
    DeploymentApproval,
    DeploymentKind,
    DeploymentState,
)
from conman_domain.states.machine import ActorRule, Machine, fact_guard, row

__all__ = [
    "DEPLOYMENT_MACHINE",
    "check_approvals",
    "check_stage",
    "ensure_no_active_deployment",
    "is_concurrent",
    "next_stage",
    "set_deployment_state",
]

D = DeploymentState
ACTIVE_MESSAGE = "environment has an active deployment"

DEPLOYMENT_MACHINE = Machine(
    name="deployment",
    states=tuple(D),
    terminal=frozenset({D.SUCCEEDED, D.FAILED, D.CANCELED}),
    transitions=(
        row(
            [None],
            D.PENDING,
            "create",
            ActorRule.CM,
            fact_guard("no_active_deployment", ACTIVE_MESSAGE),
        ),
        row([D.PENDING], D.RUNNING, "start", ActorRule.SYSTEM),
        row([D.PENDING], D.CANCELED, "cancel", ActorRule.CM),
        row(
            [D.RUNNING],
            D.CANCELED,
            "cancel",
            ActorRule.CM,
            fact_guard("before_record_step", "the deployment is already being recorded"),
        ),
        row([D.RUNNING], D.SUCCEEDED, "succeed", ActorRule.SYSTEM),
        row([D.RUNNING], D.FAILED, "fail", ActorRule.SYSTEM),
    ),
)


def set_deployment_state(deployment: Deployment, state: DeploymentState) -> None:
    """Write ``state`` and ``active`` together (DOMAIN.md §20)."""
    deployment.state = state
    deployment.active = state in ACTIVE_DEPLOYMENT_STATES


def ensure_no_active_deployment(deployments: Iterable[Deployment], environment_id: str) -> None:
    """Raise ``Conflict`` when ``environment_id`` already has a pending or running deployment."""
    for d in deployments:
        if d.environment_id == environment_id and d.state in ACTIVE_DEPLOYMENT_STATES:
            raise Conflict(ACTIVE_MESSAGE)


def is_concurrent(deployments: Iterable[Deployment], release_id: str, environment_id: str) -> bool:
    """True when the release has an active deployment in another environment (§14.2)."""
    return any(
        d.release_id == release_id
        and d.environment_id != environment_id
        and d.state in ACTIVE_DEPLOYMENT_STATES
        for d in deployments
    )


def next_stage(reached_positions: Iterable[int], environment_count: int) -> int | None:
    """next(R): 0 when nothing is reached, else the highest reached position + 1; None past
    the last environment."""
    reached = list(reached_positions)
    nxt = 0 if not reached else max(reached) + 1
    return nxt if nxt < environment_count else None


def check_stage(
    kind: DeploymentKind,
    target_position: int,
    reached_positions: Sequence[int],
    environment_count: int,
    skip_stage: bool,
) -> None:
    """Apply the stage rules of §14.2; raises ``Validation`` (400). Rollback is unrestricted.

    Approvals for ``skip_stage`` are checked separately (``check_approvals``).
    """
    if kind is DeploymentKind.ROLLBACK:
        return
    nxt = next_stage(reached_positions, environment_count)
    if kind is DeploymentKind.DEPLOY:
        if nxt is None or target_position <= nxt or skip_stage:
            return
        raise Validation("target is beyond the next stage; skip_stage with approvals is needed")
    if not any(p < target_position for p in reached_positions):
        raise Validation("release has no succeeded deployment in an earlier stage")
    if target_position != nxt and not skip_stage:
        raise Validation("target is not the next stage; skip_stage with approvals is needed")


def check_approvals(
    approvals: Sequence[DeploymentApproval], current_roles: Mapping[str, Role]
) -> None:
    """≥2 distinct approvers, each reviewer+ when approving and a member now (§14.3).

    ``current_roles`` maps user id → current role in the app. Raises ``Validation``.
    """
    valid = {
        a.user_id
        for a in approvals
        if a.role.at_least(Role.REVIEWER) and a.user_id in current_roles
    }
    if len(valid) < 2:
        raise Validation("at least 2 distinct reviewer+ approvals are required")
