"""Deploy approvals (DOMAIN.md §14.3; API.md §12): issuing single-use approval tokens,
checking the tokens of a deploy or promote request one by one, and consuming them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from conman_domain.errors import Conflict, FieldError, Validation
from conman_domain.model import Environment, Release, Role, UsedApprovalToken
from conman_domain.model.deployments import DeploymentApproval
from conman_domain.ports.security import ApprovalClaims
from conman_domain.rbac import Capability, check
from conman_domain.states.deployment import check_approvals
from conman_domain.usecases.changeset_deps import Caller, check_object_id
from conman_domain.usecases.deployment_shapes import (
    DEPLOYABLE,
    DeploymentDeps,
    load_environment,
)
from conman_domain.usecases.release_shapes import load_release

__all__ = ["MAX_APPROVAL_TOKENS", "ApprovalView", "Approvals", "CheckedApprovals"]

MAX_APPROVAL_TOKENS = 10


class ApprovalView(msgspec.Struct, kw_only=True):
    """The 201 body of POST .../approvals (the token is shown once)."""

    approval_token: str
    expires_at: datetime
    approver_user_id: str
    environment_id: str
    release_id: str
    skip_stage: bool


class CheckedApprovals(msgspec.Struct, frozen=True, kw_only=True):
    """Valid tokens of a request: the stored approvals and the ``jti`` of each."""

    approvals: list[DeploymentApproval]
    jtis: list[tuple[str, str]]
    """``(jti, approver user id)`` pairs to record as used."""


class Approvals:
    """Issue approval tokens and check, consume or release those of a request."""

    def __init__(self, deps: DeploymentDeps) -> None:
        self._d = deps

    def issue(
        self, caller: Caller, environment_id: str, release_id: str, skip_stage: bool
    ) -> ApprovalView:
        """POST environments/:envId/approvals (reviewer+): a token for the caller."""
        check(Capability.ISSUE_DEPLOY_APPROVAL, caller.role)
        d = self._d
        check_object_id("release_id", release_id)
        env = load_environment(d, caller.app, environment_id)
        release = load_release(d, caller.app, release_id)
        if release.state not in DEPLOYABLE:
            raise Validation(f"release is not deployable (state {release.state.value})")
        issued = d.tokens.issue_approval(
            approver_user_id=caller.user_id,
            role=caller.role.value,
            app_id=caller.app.id,
            environment_id=env.id,
            release_id=release.id,
            skip_stage=skip_stage,
            now=d.clock.now(),
        )
        d.audit.record(
            caller.actor,
            "deployment_approval.issued",
            app_id=caller.app.id,
            entity_id=None,
            after={
                "jti": issued.jti,
                "environment_id": env.id,
                "release_id": release.id,
                "skip_stage": skip_stage,
                "role": caller.role.value,
                "expires_at": issued.expires_at,
            },
        )
        return ApprovalView(
            approval_token=issued.token,
            expires_at=issued.expires_at,
            approver_user_id=caller.user_id,
            environment_id=env.id,
            release_id=release.id,
            skip_stage=skip_stage,
        )

    def check_tokens(
        self,
        caller: Caller,
        env: Environment,
        release: Release,
        tokens: Sequence[str],
        *,
        skip_stage: bool,
        required: bool,
    ) -> CheckedApprovals:
        """Check every token against the request (API.md §12); any bad token → 400 with
        one ``approval_tokens[i]`` detail per bad token. With ``required``, fewer than 2
        distinct valid reviewer+ approvers → 400."""
        d = self._d
        now = d.clock.now()
        roles = {
            m.user_id: Role(m.role) for m in d.repos.memberships.all({"app_id": caller.app.id})
        }
        problems: list[FieldError] = []
        approvals: list[DeploymentApproval] = []
        jtis: list[tuple[str, str]] = []
        seen: set[str] = set()
        for index, token in enumerate(tokens):
            field = f"approval_tokens[{index}]"
            try:
                claims = d.tokens.verify_approval(token, now)
            except Validation as exc:
                problems.append(FieldError(field, exc.message))
                continue
            problem = self._problem(caller, env, release, claims, roles, skip_stage=skip_stage)
            if problem is None and claims.jti in seen:
                problem = "approval token was already used"
            if problem is not None:
                problems.append(FieldError(field, problem))
                continue
            seen.add(claims.jti)
            approvals.append(
                DeploymentApproval(
                    user_id=claims.sub, role=Role(claims.role), approved_at=claims.iat
                )
            )
            jtis.append((claims.jti, claims.sub))
        if problems:
            raise Validation("invalid approval tokens", problems)
        if required:
            check_approvals(approvals, roles)
        return CheckedApprovals(approvals=approvals, jtis=jtis)

    def _problem(
        self,
        caller: Caller,
        env: Environment,
        release: Release,
        claims: ApprovalClaims,
        roles: dict[str, Role],
        *,
        skip_stage: bool,
    ) -> str | None:
        if claims.app_id != caller.app.id:
            return "approval token names another app"
        if claims.environment_id != env.id:
            return "approval token names another environment"
        if claims.release_id != release.id:
            return "approval token names another release"
        try:
            role = Role(claims.role)
        except ValueError:
            return "approval token has an unknown role"
        if not role.at_least(Role.REVIEWER):
            return "approval token role is below reviewer"
        if claims.sub not in roles:
            return "approver is no longer a member"
        if skip_stage and not claims.skip_stage:
            return "approval token does not allow skip_stage"
        if self._d.repos.used_approval_tokens.find_one({"jti": claims.jti}) is not None:
            return "approval token was already used"
        return None

    def consume(self, checked: CheckedApprovals, deployment_id: str) -> list[str]:
        """Record every ``jti`` as used and return the record ids; a token used
        concurrently by another request → 400 naming it (the ones recorded here are
        released again)."""
        d = self._d
        done: list[str] = []
        for index, (jti, user_id) in enumerate(checked.jtis):
            record = UsedApprovalToken(
                id=d.ids.new_id(),
                created_at=d.clock.now(),
                jti=jti,
                deployment_id=deployment_id,
                user_id=user_id,
                used_at=d.clock.now(),
            )
            try:
                d.repos.used_approval_tokens.insert(record)
            except Conflict:
                self.release(done)
                field = FieldError(f"approval_tokens[{index}]", "approval token was already used")
                raise Validation("invalid approval tokens", [field]) from None
            done.append(record.id)
        return done

    def release(self, record_ids: Sequence[str]) -> None:
        """Forget used-token records of a request that did not create its deployment."""
        for record_id in record_ids:
            self._d.repos.used_approval_tokens.delete(record_id)
