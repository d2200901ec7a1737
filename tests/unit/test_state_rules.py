"""Pure rules attached to the state machines: approvals, queue, stages, timestamps, backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from conman_domain.errors import Conflict, Forbidden, GraceExpired, InvalidTransition, Validation
from conman_domain.model import (
    ApprovalPolicy,
    AppSettings,
    Changeset,
    ChangesetState,
    Deployment,
    DeploymentApproval,
    DeploymentKind,
    DeploymentState,
    Release,
    ReleaseState,
    Review,
    ReviewDecision,
    Role,
    TempEnvironment,
    TempEnvKind,
    TempEnvState,
)
from conman_domain.states import (
    Actor,
    approval_count,
    check_approvals,
    check_stage,
    ensure_no_active_deployment,
    ensure_release_mutable,
    extend,
    is_concurrent,
    mark_provisioned,
    next_queue_position,
    next_stage,
    outbox_backoff,
    required_approval_count,
    retry_backoff,
    set_changeset_state,
    set_deployment_state,
    start_grace,
    sweep_action,
    touch,
    undo_expire,
)
from conman_domain.states.temp_env import expire

T0 = datetime(2026, 2, 25, 12, 0, tzinfo=UTC)
CREATOR = "c" * 24
CREATOR_ACTOR = Actor(user_id=CREATOR, role=Role.USER)


def review(who: str, decision: str, rev: int = 1, n: int = 0) -> Review:
    return Review(
        id=f"{n:024x}",
        created_at=T0 + timedelta(seconds=n),
        changeset_id="x",
        reviewer_user_id=who,
        revision_number=rev,
        decision=ReviewDecision(decision),
    )


def test_repeat_approvals_by_one_reviewer_count_once() -> None:
    reviews = [review("r1", "approved", n=1), review("r1", "approved", n=2)]
    assert approval_count(reviews, 1) == 1


def test_approvals_before_the_latest_changes_request_do_not_count() -> None:
    reviews = [
        review("r1", "approved", n=1),
        review("r2", "changes_requested", n=2),
        review("r3", "approved", n=3),
    ]
    assert approval_count(reviews, 1) == 1


def test_approvals_of_an_earlier_revision_do_not_count() -> None:
    reviews = [review("r1", "approved", rev=1, n=1), review("r2", "approved", rev=2, n=2)]
    assert approval_count(reviews, 2) == 1
    assert approval_count(reviews, 3) == 0


def test_queue_position_is_one_more_than_the_highest() -> None:
    assert next_queue_position([]) == 1
    assert next_queue_position([3000, 1000, None, 2000]) == 3001


def test_stricter_policy_needs_two_approvals_when_an_override_targets_the_canonical_env() -> None:
    settings = AppSettings()
    assert required_approval_count(settings, ["dev"], "prod") == 1
    assert required_approval_count(settings, ["dev", "prod"], "prod") == 2
    three = msgspec.structs.replace(settings, required_approvals=3)
    assert required_approval_count(three, ["prod"], "prod") == 3
    same = msgspec.structs.replace(
        settings, runtime_profile_approval_policy=ApprovalPolicy.SAME_AS_CHANGESET
    )
    assert required_approval_count(same, ["prod"], "prod") == 1


def test_leaving_the_queue_clears_queue_fields_and_terminal_states_close() -> None:
    cs = Changeset(
        id="1" * 24, created_at=T0, updated_at=T0, app_id="a", workspace_id="w",
        author_user_id="u", created_by="u", title="t", state=ChangesetState.QUEUED,
        queue_position=1000, queued_at=T0, approval_count=2,
    )  # fmt: skip
    set_changeset_state(cs, ChangesetState.RELEASED)
    assert (cs.is_open, cs.queue_position, cs.queued_at) == (False, None, None)
    cs2 = msgspec.structs.replace(
        cs, state=ChangesetState.CONFLICTED, is_open=True, queue_position=5
    )
    set_changeset_state(cs2, ChangesetState.DRAFT)
    assert (cs2.is_open, cs2.queue_position, cs2.approval_count) == (True, None, 0)


def _release(state: ReleaseState) -> Release:
    return Release(
        id="r" * 24, created_at=T0, updated_at=T0, app_id="a", state=state, created_by="u"
    )


def test_only_draft_releases_may_change_members() -> None:
    ensure_release_mutable(_release(ReleaseState.DRAFT_RELEASE))
    for state in ReleaseState:
        if state is not ReleaseState.DRAFT_RELEASE:
            with pytest.raises(Conflict):
                ensure_release_mutable(_release(state))


def _dep(env: str, state: DeploymentState, release: str = "R") -> Deployment:
    return Deployment(
        id="d" * 24, created_at=T0, updated_at=T0, app_id="a", environment_id=env,
        release_id=release, kind=DeploymentKind.DEPLOY, state=state, created_by="u",
    )  # fmt: skip


def test_an_environment_with_a_pending_or_running_deployment_is_locked() -> None:
    done = [_dep("E", s) for s in (DeploymentState.SUCCEEDED, DeploymentState.FAILED)]
    ensure_no_active_deployment([*done, _dep("F", DeploymentState.RUNNING)], "E")
    for state in (DeploymentState.PENDING, DeploymentState.RUNNING):
        with pytest.raises(Conflict, match="environment has an active deployment"):
            ensure_no_active_deployment([_dep("E", state)], "E")


def test_concurrency_means_an_active_deployment_of_the_release_elsewhere() -> None:
    deps = [_dep("F", DeploymentState.RUNNING), _dep("G", DeploymentState.SUCCEEDED, "R2")]
    assert is_concurrent(deps, "R", "E")
    assert not is_concurrent(deps, "R", "F")
    assert not is_concurrent(deps, "R2", "E")


def test_deployment_state_and_active_flag_move_together() -> None:
    d = _dep("E", DeploymentState.PENDING)
    set_deployment_state(d, DeploymentState.RUNNING)
    assert d.active
    set_deployment_state(d, DeploymentState.CANCELED)
    assert not d.active


def test_next_stage_follows_the_highest_reached_position() -> None:
    assert next_stage([], 4) == 0
    assert next_stage([0, 1], 4) == 2
    assert next_stage([0, 3], 4) is None


@pytest.mark.parametrize(
    ("kind", "target", "reached", "skip", "ok"),
    [
        ("deploy", 0, [], False, True),
        ("deploy", 1, [], False, False),
        ("deploy", 1, [], True, True),
        ("deploy", 2, [0, 1], False, True),
        ("deploy", 1, [0, 1], False, True),  # redeploy of an earlier stage
        ("deploy", 3, [0, 1], False, False),
        ("deploy", 1, [3], False, True),  # no next past the last environment
        ("promote", 1, [0], False, True),
        ("promote", 2, [0], False, False),
        ("promote", 2, [0], True, True),
        ("promote", 0, [], True, False),  # nothing reached earlier
        ("promote", 0, [1], False, False),
        ("rollback", 3, [], False, True),
    ],
)
def test_stage_rules(kind: str, target: int, reached: list[int], skip: bool, ok: bool) -> None:
    if ok:
        check_stage(DeploymentKind(kind), target, reached, 4, skip)
    else:
        with pytest.raises(Validation):
            check_stage(DeploymentKind(kind), target, reached, 4, skip)


def _appr(user: str, role: Role) -> DeploymentApproval:
    return DeploymentApproval(user_id=user, role=role, approved_at=T0)


def test_exceptional_deployments_need_two_distinct_reviewer_plus_members() -> None:
    members = {"a": Role.REVIEWER, "b": Role.APP_ADMIN, "c": Role.USER}
    check_approvals([_appr("a", Role.REVIEWER), _appr("b", Role.CONFIG_MANAGER)], members)
    for bad in (
        [_appr("a", Role.REVIEWER), _appr("a", Role.REVIEWER)],  # same approver twice
        [_appr("a", Role.REVIEWER), _appr("c", Role.USER)],  # user role at issue
        [_appr("a", Role.REVIEWER), _appr("gone", Role.APP_ADMIN)],  # no longer a member
    ):
        with pytest.raises(Validation):
            check_approvals(bad, members)


def _env(state: TempEnvState = TempEnvState.PROVISIONING) -> TempEnvironment:
    return TempEnvironment(
        id="t" * 24, created_at=T0, updated_at=T0, app_id="a", kind=TempEnvKind.WORKSPACE,
        workspace_id="w", base_runtime_profile_id="p", db_name="tmp_x", base_url="https://x",
        snapshot_branch="temp/x/ws", state=state, created_by=CREATOR, source_key="ws:w",
    )  # fmt: skip


def _state(env: TempEnvironment) -> TempEnvState:
    return env.state


def test_provisioned_env_starts_its_ttl_clock() -> None:
    env = mark_provisioned(_env(), T0, 24)
    assert (env.state, env.live) == (TempEnvState.ACTIVE, True)
    assert (env.last_activity_at, env.expires_at) == (T0, T0 + timedelta(hours=24))


def test_touch_only_ever_moves_expiry_later_and_clears_the_warning() -> None:
    env = mark_provisioned(_env(), T0, 24)
    env.expires_at = T0 + timedelta(hours=40)
    env.expiry_warning_sent = True
    touch(env, CREATOR_ACTOR, T0 + timedelta(hours=1), 24)
    assert env.expires_at == T0 + timedelta(hours=40)
    assert env.expiry_warning_sent
    touch(env, CREATOR_ACTOR, T0 + timedelta(hours=20), 24)
    assert env.expires_at == T0 + timedelta(hours=44)
    assert not env.expiry_warning_sent
    assert env.last_activity_at == T0 + timedelta(hours=20)


def test_touch_never_restores_an_expiring_env() -> None:
    env = start_grace(mark_provisioned(_env(), T0, 1), T0 + timedelta(hours=2), 1)
    with pytest.raises(InvalidTransition):
        touch(env, CREATOR_ACTOR, T0 + timedelta(hours=2), 24)


def test_extend_is_capped_at_72_hours_after_creation() -> None:
    env = mark_provisioned(_env(), T0, 24)
    extend(env, CREATOR_ACTOR, 48)
    assert env.expires_at == T0 + timedelta(hours=72)
    with pytest.raises(Validation, match="exceeds maximum lifetime"):
        extend(env, CREATOR_ACTOR, 1)
    for hours in (0, 49):
        with pytest.raises(Validation):
            extend(env, CREATOR_ACTOR, hours)


def test_only_the_creator_or_cm_plus_may_extend() -> None:
    env = mark_provisioned(_env(), T0, 24)
    with pytest.raises(Forbidden):
        extend(env, Actor(user_id="other", role=Role.REVIEWER), 1)
    extend(env, Actor(user_id="other", role=Role.CONFIG_MANAGER), 1)


def test_sweep_warns_then_expires_then_ends_grace() -> None:
    env = mark_provisioned(_env(), T0, 24)
    assert sweep_action(env, T0 + timedelta(hours=22)) is None
    assert sweep_action(env, T0 + timedelta(hours=23)) == "warn"
    env.expiry_warning_sent = True
    assert sweep_action(env, T0 + timedelta(hours=23, minutes=30)) is None
    assert sweep_action(env, T0 + timedelta(hours=24)) == "expire"
    start_grace(env, T0 + timedelta(hours=24), 1)
    assert _state(env) is TempEnvState.EXPIRING and env.live
    assert env.grace_until == T0 + timedelta(hours=25)
    assert sweep_action(env, T0 + timedelta(hours=24, minutes=59)) is None
    assert sweep_action(env, T0 + timedelta(hours=25)) == "grace_elapsed"
    expire(env, T0 + timedelta(hours=25))
    assert _state(env) is TempEnvState.EXPIRED and not env.live


def test_expiry_before_its_time_is_a_conflict() -> None:
    env = mark_provisioned(_env(), T0, 24)
    with pytest.raises(Conflict):
        start_grace(env, T0 + timedelta(hours=1), 1)


def test_undo_expire_restarts_the_ttl_before_grace_ends_and_is_gone_after() -> None:
    env = start_grace(mark_provisioned(_env(), T0, 1), T0 + timedelta(hours=1), 2)
    undo_expire(env, CREATOR_ACTOR, T0 + timedelta(hours=2), 24)
    assert env.state is TempEnvState.ACTIVE
    assert env.expires_at == T0 + timedelta(hours=26)
    assert env.grace_until is None
    start_grace(env, T0 + timedelta(hours=26), 1)
    with pytest.raises(GraceExpired):
        undo_expire(env, CREATOR_ACTOR, T0 + timedelta(hours=27), 24)  # exactly at grace_until
    expire(env, T0 + timedelta(hours=27))
    with pytest.raises(GraceExpired):
        undo_expire(env, CREATOR_ACTOR, T0 + timedelta(hours=28), 24)


def test_job_backoff_doubles_from_five_seconds_up_to_five_minutes() -> None:
    assert [retry_backoff(k).total_seconds() for k in range(1, 9)] == [
        5, 10, 20, 40, 80, 160, 300, 300,
    ]  # fmt: skip


def test_outbox_backoff_is_10_60_300_seconds() -> None:
    assert [outbox_backoff(k).total_seconds() for k in (1, 2, 3)] == [10, 60, 300]
    with pytest.raises(ValueError, match="no retry"):
        outbox_backoff(4)
