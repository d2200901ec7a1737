"""Every (state, action) pair of every state machine, as the spec tables say.

The expectations are transcribed from DOMAIN.md §3, §9.2, §13.2, §14.8, §16.2, §17.2 and
§18.2 (and API.md §4.1/§6 for invites); they are not read back from the machine tables.
"""

from __future__ import annotations

from typing import Any

import pytest

from conman_domain.errors import (
    ConmanError,
    Forbidden,
    GraceExpired,
    InvalidTransition,
    InviteInvalid,
    NotFound,
)
from conman_domain.model import Role
from conman_domain.states import (
    CHANGESET_MACHINE,
    DEPLOYMENT_MACHINE,
    INVITE_MACHINE,
    JOB_MACHINE,
    OUTBOX_MACHINE,
    RELEASE_MACHINE,
    TEMP_ENV_MACHINE,
    Actor,
    Machine,
    TransitionContext,
    apply,
)

OWNER = "a" * 24
OTHER = "b" * 24

ACTORS: dict[str, Actor] = {
    "system": Actor.system_actor(),
    "non_member": Actor(user_id=OTHER, role=None),
    "user_owner": Actor(user_id=OWNER, role=Role.USER),
    "user_other": Actor(user_id=OTHER, role=Role.USER),
    "reviewer_owner": Actor(user_id=OWNER, role=Role.REVIEWER),
    "reviewer_other": Actor(user_id=OTHER, role=Role.REVIEWER),
    "cm_owner": Actor(user_id=OWNER, role=Role.CONFIG_MANAGER),
    "cm_other": Actor(user_id=OTHER, role=Role.CONFIG_MANAGER),
    "admin_owner": Actor(user_id=OWNER, role=Role.APP_ADMIN),
    "admin_other": Actor(user_id=OTHER, role=Role.APP_ADMIN),
}
HUMANS = set(ACTORS) - {"system"}
MEMBERS = HUMANS - {"non_member"}
OWNERS = {"user_owner", "reviewer_owner", "cm_owner", "admin_owner"}
CM_PLUS = {"cm_owner", "cm_other", "admin_owner", "admin_other"}
ALLOWED: dict[str, set[str]] = {
    "system": {"system"},
    "public": HUMANS,
    "member": MEMBERS,
    "author": OWNERS,
    "author_or_cm": OWNERS | CM_PLUS,
    "reviewer_not_author": {"reviewer_other", "cm_other", "admin_other"},
    "cm": CM_PLUS,
    "app_admin": {"admin_owner", "admin_other"},
}
WHO_ACTOR = {
    "system": "system",
    "public": "non_member",
    "member": "user_other",
    "author": "user_owner",
    "author_or_cm": "cm_other",
    "reviewer_not_author": "reviewer_other",
    "cm": "cm_other",
    "app_admin": "admin_other",
}

Outcome = str | type[ConmanError]


class Spec:
    """One machine's expectations: who may trigger each action, and what each
    (state, action) pair leads to under satisfied guards."""

    def __init__(
        self,
        machine: Machine,
        states: list[str],
        who: dict[str, str],
        allowed: dict[tuple[str | None, str], Outcome],
        facts: dict[str, Any],
    ) -> None:
        self.machine, self.states, self.who = machine, states, who
        self.allowed, self.facts = allowed, facts


def _pairs(
    states: list[str], actions: list[str], to: Outcome
) -> dict[tuple[str | None, str], Outcome]:
    return {(s, a): to for s in states for a in actions}


CS_REVIEWABLE = ["submitted", "in_review", "changes_requested"]
CS_BACK_TO_DRAFT = ["changes_requested", "conflicted", "needs_revalidation"]
DEPLOYED = ["published", "deployed_partial", "deployed_full"]
CHANGESET = Spec(
    CHANGESET_MACHINE,
    ["draft", "submitted", "in_review", "changes_requested", "approved", "queued",
     "conflicted", "needs_revalidation", "released", "rejected"],
    {"create": "author_or_cm", "submit": "author", "resubmit": "author",
     "approve": "reviewer_not_author", "request_changes": "reviewer_not_author",
     "reject": "reviewer_not_author", "move_to_draft": "author_or_cm", "queue": "author_or_cm",
     "mark_conflicted": "system", "mark_needs_revalidation": "system", "release": "system"},
    {
        (None, "create"): "draft",
        ("draft", "submit"): "submitted",
        **_pairs([*CS_REVIEWABLE, "approved"], ["resubmit"], "submitted"),
        **_pairs(CS_REVIEWABLE, ["approve"], "approved"),
        **_pairs(CS_REVIEWABLE, ["request_changes"], "changes_requested"),
        **_pairs(CS_REVIEWABLE, ["reject"], "rejected"),
        **_pairs(CS_BACK_TO_DRAFT, ["move_to_draft"], "draft"),
        ("approved", "queue"): "queued",
        ("queued", "mark_conflicted"): "conflicted",
        ("queued", "mark_needs_revalidation"): "needs_revalidation",
        ("queued", "release"): "released",
    },
    {"no_open_changeset": True, "has_changes": True, "workspace_clean": True,
     "workspace_id": "w", "submit_gate_passed": True, "integration_is_ancestor": True,
     "approval_count": 1, "required_approval_count": 1},
)  # fmt: skip

RELEASE = Spec(
    RELEASE_MACHINE,
    ["draft_release", "assembling", "validated", "published", "deployed_partial",
     "deployed_full", "rolled_back"],
    {"create": "cm", "assemble": "cm", "validation_passed": "system",
     "assembly_failed": "system", "publish": "cm", "publish_aborted": "system",
     "deployment_succeeded": "system", "rolled_back": "system"},
    {
        (None, "create"): "draft_release",
        ("draft_release", "assemble"): "assembling",
        ("assembling", "validation_passed"): "validated",
        ("assembling", "assembly_failed"): "draft_release",
        ("validated", "publish"): "published",
        ("validated", "publish_aborted"): "draft_release",
        ("published", "deployment_succeeded"): "deployed_partial",
        ("deployed_partial", "deployment_succeeded"): "deployed_partial",
        **_pairs(DEPLOYED, ["rolled_back"], "rolled_back"),
    },
    {"members_queued_and_free": True, "has_members": True, "members_queued": True,
     "members_free": True, "publishable": True, "all_environments_deployed": False},
)  # fmt: skip

DEPLOYMENT = Spec(
    DEPLOYMENT_MACHINE,
    ["pending", "running", "succeeded", "failed", "canceled"],
    {"create": "cm", "start": "system", "cancel": "cm", "succeed": "system", "fail": "system"},
    {
        (None, "create"): "pending",
        ("pending", "start"): "running",
        ("pending", "cancel"): "canceled",
        ("running", "succeed"): "succeeded",
        ("running", "fail"): "failed",
        ("running", "cancel"): "canceled",
    },
    {"no_active_deployment": True, "before_record_step": True},
)

JOB = Spec(
    JOB_MACHINE,
    ["queued", "running", "succeeded", "failed", "canceled"],
    {"enqueue": "system", "claim": "system", "cancel": "author_or_cm", "succeed": "system",
     "fail_retryable": "system", "fail_final": "system", "reclaim": "system"},
    {
        (None, "enqueue"): "queued",
        ("queued", "claim"): "running",
        ("queued", "cancel"): "canceled",
        ("running", "succeed"): "succeeded",
        ("running", "fail_retryable"): "queued",
        ("running", "fail_final"): "failed",
        ("running", "reclaim"): "running",
        ("running", "cancel"): "canceled",
    },
    {"due": True, "lease_expired": True, "attempts_left": True},
)  # fmt: skip

TEMP_ENV = Spec(
    TEMP_ENV_MACHINE,
    ["provisioning", "active", "expiring", "expired", "deleted"],
    {"create": "member", "provisioned": "system", "provision_failed": "system",
     "extend": "author_or_cm", "touch": "member", "expire": "system", "delete": "author_or_cm",
     "undo_expire": "author_or_cm", "grace_elapsed": "system", "cleaned_up": "system"},
    {
        (None, "create"): "provisioning",
        ("provisioning", "provisioned"): "active",
        ("provisioning", "provision_failed"): "deleted",
        ("active", "extend"): "active",
        ("active", "touch"): "active",
        ("active", "expire"): "expiring",
        ("active", "delete"): "deleted",
        ("expiring", "delete"): "deleted",
        ("expiring", "undo_expire"): "active",
        ("expired", "undo_expire"): GraceExpired,
        ("expiring", "grace_elapsed"): "expired",
        ("expired", "cleaned_up"): "deleted",
    },
    {"no_live_temp_env": True, "within_max_lifetime": True, "past_expiry": True,
     "before_grace": True, "past_grace": True},
)  # fmt: skip

INVITE = Spec(
    INVITE_MACHINE,
    ["pending", "accepted", "deleted"],
    {"create": "app_admin", "resend": "app_admin", "accept": "public", "revoke": "app_admin"},
    {
        (None, "create"): "pending",
        ("pending", "resend"): "pending",
        ("pending", "accept"): "accepted",
        ("pending", "revoke"): "deleted",
        ("accepted", "resend"): InviteInvalid,
        ("accepted", "revoke"): InviteInvalid,
        ("accepted", "accept"): InviteInvalid,
        ("deleted", "accept"): InviteInvalid,
        ("deleted", "resend"): NotFound,
        ("deleted", "revoke"): NotFound,
    },
    {"no_pending_invite": True, "not_member": True, "not_expired": True},
)

OUTBOX = Spec(
    OUTBOX_MACHINE,
    ["pending", "sent", "failed"],
    {"emit": "system", "sent": "system", "send_failed": "system"},
    {(None, "emit"): "pending", ("pending", "sent"): "sent", ("pending", "send_failed"): "pending"},
    {"attempts_left": True},
)

SPECS = {
    "changeset": CHANGESET,
    "release": RELEASE,
    "deployment": DEPLOYMENT,
    "job": JOB,
    "temp_env": TEMP_ENV,
    "invite": INVITE,
    "outbox": OUTBOX,
}

CASES = [
    (name, state, action)
    for name, spec in SPECS.items()
    for state in [None, *spec.states]
    for action in spec.who
]


def _ctx(spec: Spec, action: str, **facts: Any) -> TransitionContext:
    actor = ACTORS[WHO_ACTOR[spec.who[action]]]
    return TransitionContext(actor=actor, owner_user_id=OWNER, facts={**spec.facts, **facts})


@pytest.mark.parametrize("name", SPECS)
def test_machine_declares_exactly_the_spec_states_and_actions(name: str) -> None:
    spec = SPECS[name]
    assert sorted(spec.machine.states) == sorted(spec.states)
    assert sorted(spec.machine.actions) == sorted(spec.who)


@pytest.mark.parametrize(("name", "state", "action"), CASES)
def test_each_state_action_pair_is_allowed_or_rejected_as_specified(
    name: str, state: str | None, action: str
) -> None:
    spec = SPECS[name]
    expected = spec.allowed.get((state, action), InvalidTransition)
    ctx = _ctx(spec, action)
    if isinstance(expected, str):
        assert apply(spec.machine, state, action, ctx) == expected
    else:
        with pytest.raises(expected):
            apply(spec.machine, state, action, ctx)


ACTOR_CASES = [
    (name, action, actor) for name, spec in SPECS.items() for action in spec.who for actor in ACTORS
]


@pytest.mark.parametrize(("name", "action", "actor"), ACTOR_CASES)
def test_only_the_specified_actors_may_trigger_each_action(
    name: str, action: str, actor: str
) -> None:
    spec = SPECS[name]
    state = next(s for (s, a), to in spec.allowed.items() if a == action and isinstance(to, str))
    ctx = TransitionContext(actor=ACTORS[actor], owner_user_id=OWNER, facts=spec.facts)
    if actor in ALLOWED[spec.who[action]]:
        assert isinstance(apply(spec.machine, state, action, ctx), str)
    else:
        with pytest.raises(Forbidden):
            apply(spec.machine, state, action, ctx)


def test_terminal_states_have_no_outgoing_transitions() -> None:
    for spec in SPECS.values():
        for state in spec.machine.terminal:
            assert not [
                a for (s, a), to in spec.allowed.items() if s == state and isinstance(to, str)
            ]
            assert spec.machine.allowed_actions(state) == []


def test_approval_below_the_required_count_leads_to_in_review() -> None:
    ctx = _ctx(CHANGESET, "approve", approval_count=1, required_approval_count=2)
    for state in CS_REVIEWABLE:
        assert apply(CHANGESET_MACHINE, state, "approve", ctx) == "in_review"


def test_approval_needs_the_submit_gate_but_rejection_does_not() -> None:
    from conman_domain.errors import Conflict

    ctx = _ctx(CHANGESET, "approve", submit_gate_passed=False)
    with pytest.raises(Conflict):
        apply(CHANGESET_MACHINE, "submitted", "approve", ctx)
    ctx = _ctx(CHANGESET, "reject", submit_gate_passed=False)
    assert apply(CHANGESET_MACHINE, "submitted", "reject", ctx) == "rejected"


def test_self_review_is_forbidden_even_for_an_app_admin() -> None:
    ctx = TransitionContext(actor=ACTORS["admin_owner"], owner_user_id=OWNER, facts=CHANGESET.facts)
    with pytest.raises(Forbidden, match="own changeset"):
        apply(CHANGESET_MACHINE, "submitted", "approve", ctx)


def test_invalid_transition_names_the_current_and_requested_state() -> None:
    ctx = _ctx(CHANGESET, "submit")
    with pytest.raises(InvalidTransition) as info:
        apply(CHANGESET_MACHINE, "released", "submit", ctx)
    assert info.value.details == {"from": "released", "to": "submitted"}
    assert info.value.message == "invalid state transition: released -> submitted"


@pytest.mark.parametrize(
    ("state", "all_deployed", "expected"),
    [
        ("published", True, "deployed_full"),
        ("published", False, "deployed_partial"),
        ("deployed_partial", True, "deployed_full"),
        ("deployed_partial", False, "deployed_partial"),
    ],
)
def test_release_moves_to_deployed_full_only_when_every_environment_is_reached(
    state: str, all_deployed: bool, expected: str
) -> None:
    ctx = _ctx(RELEASE, "deployment_succeeded", all_environments_deployed=all_deployed)
    assert apply(RELEASE_MACHINE, state, "deployment_succeeded", ctx) == expected


def test_job_failures_without_attempts_left_are_final() -> None:
    ctx = _ctx(JOB, "fail_retryable", attempts_left=False)
    assert apply(JOB_MACHINE, "running", "fail_retryable", ctx) == "failed"
    assert apply(JOB_MACHINE, "running", "reclaim", ctx) == "failed"


def test_outbox_fails_after_the_last_attempt() -> None:
    ctx = _ctx(OUTBOX, "send_failed", attempts_left=False)
    assert apply(OUTBOX_MACHINE, "pending", "send_failed", ctx) == "failed"


@pytest.mark.parametrize(
    ("spec", "state", "action", "fact", "error"),
    [
        (CHANGESET, None, "create", "no_open_changeset", "Conflict"),
        (CHANGESET, "draft", "submit", "has_changes", "Validation"),
        (CHANGESET, "draft", "submit", "workspace_clean", "UncommittedChanges"),
        (CHANGESET, "approved", "queue", "integration_is_ancestor", "Conflict"),
        (CHANGESET, "approved", "queue", "submit_gate_passed", "Conflict"),
        (RELEASE, "draft_release", "assemble", "has_members", "Validation"),
        (RELEASE, "draft_release", "assemble", "members_free", "Conflict"),
        (RELEASE, "validated", "publish", "publishable", "Conflict"),
        (DEPLOYMENT, None, "create", "no_active_deployment", "Conflict"),
        (DEPLOYMENT, "running", "cancel", "before_record_step", "Conflict"),
        (JOB, "queued", "claim", "due", "Conflict"),
        (JOB, "running", "reclaim", "lease_expired", "Conflict"),
        (TEMP_ENV, None, "create", "no_live_temp_env", "Conflict"),
        (TEMP_ENV, "active", "extend", "within_max_lifetime", "Validation"),
        (TEMP_ENV, "expiring", "undo_expire", "before_grace", "GraceExpired"),
        (INVITE, None, "create", "no_pending_invite", "Conflict"),
        (INVITE, None, "create", "not_member", "Conflict"),
        (INVITE, "pending", "accept", "not_expired", "InviteExpired"),
    ],
)
def test_a_failing_guard_raises_its_specified_error(
    spec: Spec, state: str | None, action: str, fact: str, error: str
) -> None:
    with pytest.raises(ConmanError) as info:
        apply(spec.machine, state, action, _ctx(spec, action, **{fact: False}))
    assert type(info.value).__name__ == error
