"""The changeset use cases without HTTP: override comparison and summaries, concurrent
queue entries and approvals, and notification rules (DOMAIN.md §9, §12, §18)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from conman_domain.errors import ServiceUnavailable, Validation
from conman_domain.model import (
    ChangesetState,
    NotificationPreference,
    OverrideSnapshot,
    ReviewDecision,
    User,
)
from conman_domain.model.overrides import OverrideOperation, SecretOverride
from conman_domain.model.profiles import TypedValue, ValueType
from conman_domain.ports.secrets import SecretAad
from conman_domain.usecases.changeset_shapes import override_summary
from conman_domain.usecases.changesets import parse_states
from conman_domain.usecases.override_compare import snapshots_equal
from tests.unit.changeset_support import ChangesetWorld


def _snap(world: ChangesetWorld, **fields: Any) -> OverrideSnapshot:
    return OverrideSnapshot(
        target_environment_id=world.env.id, target_profile_id=world.env.runtime_profile_id, **fields
    )


def _secret(world: ChangesetWorld, value: str) -> SecretOverride:
    aad = SecretAad(app_id=world.app.id, profile_id=world.env.runtime_profile_id, key="K")
    return SecretOverride(operation=OverrideOperation.SET, record=world.cipher.encrypt(value, aad))


def test_snapshots_compare_numbers_by_value_and_secrets_by_plaintext() -> None:
    world = ChangesetWorld()
    decrypt = world.cs_deps.decrypt(world.app.id)
    one = {"N": TypedValue(type=ValueType.NUMBER, value=1)}
    one_float = {"N": TypedValue(type=ValueType.NUMBER, value=1.0)}
    a = _snap(
        world,
        env_var_overrides_typed=one,
        secret_overrides_encrypted={"K": _secret(world, "x" * 9)},
    )
    b = _snap(
        world,
        env_var_overrides_typed=one_float,
        secret_overrides_encrypted={"K": _secret(world, "x" * 9)},
    )
    assert snapshots_equal([a], [b], decrypt)
    c = _snap(
        world,
        env_var_overrides_typed=one,
        secret_overrides_encrypted={"K": _secret(world, "y" * 9)},
    )
    assert not snapshots_equal([a], [c], decrypt)


def test_a_removal_equals_only_a_removal_and_key_sets_must_match() -> None:
    world = ChangesetWorld()
    decrypt = world.cs_deps.decrypt(world.app.id)
    removed = _snap(world, env_var_overrides_typed={"A": None})
    empty_string = _snap(
        world, env_var_overrides_typed={"A": TypedValue(type=ValueType.STRING, value="")}
    )
    assert not snapshots_equal([removed], [empty_string], decrypt)
    assert not snapshots_equal([removed], [], decrypt)
    assert not snapshots_equal([removed], [_snap(world)], decrypt)
    assert snapshots_equal([removed], [_snap(world, env_var_overrides_typed={"A": None})], decrypt)


def test_override_summaries_carry_keys_types_and_operations_only() -> None:
    world = ChangesetWorld()
    snap = _snap(
        world,
        env_var_overrides_typed={"B": None, "A": TypedValue(type=ValueType.BOOLEAN, value=True)},
        secret_overrides_encrypted={"K": _secret(world, "hunter2hunter2")},
        base_url="https://x.example.com",
    )
    summary = override_summary(snap)
    assert [(e.key, e.type, e.operation) for e in summary.env_vars] == [
        ("A", ValueType.BOOLEAN, OverrideOperation.SET),
        ("B", None, OverrideOperation.REMOVE),
    ]
    assert [(s.key, s.operation) for s in summary.secrets] == [("K", OverrideOperation.SET)]
    assert summary.base_url_set is True
    assert summary.database_fields == [] and summary.data_strategy_fields == []


def test_state_filters_accept_lists_and_reject_unknown_states() -> None:
    assert parse_states("draft,queued") == [ChangesetState.DRAFT, ChangesetState.QUEUED]
    assert parse_states(None) == []
    with pytest.raises(Validation):
        parse_states("draft,nope")


def _approved(world: ChangesetWorld, owner: User, branch: str) -> str:
    if owner.id != world.alice.id:
        world.workspace = world._workspace(owner, branch)
    cs = world.services.changesets.create(
        world.caller(owner), workspace_id=world.workspace.id, title=branch
    )
    world.write(f"{branch.replace('/', '_')}.json", b"{}")
    world.services.submit(world.caller(owner), cs.id, "submit")
    world.run_gates(passed=True)
    world.services.review(world.caller(world.rev1), cs.id, ReviewDecision.APPROVED, None)
    return cs.id


def _together(*calls: Callable[[], object]) -> list[object]:
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_queue_entries_get_distinct_positions() -> None:
    world = ChangesetWorld()
    ids = [
        _approved(world, world.alice, "a"),
        _approved(world, world.bob, "ws/bob/b"),
        _approved(world, world.cm, "ws/cm/c"),
    ]
    callers = [world.caller(u) for u in (world.alice, world.bob, world.cm)]
    results = _together(
        *(lambda c=c, i=i: world.services.queue(c, i) for c, i in zip(callers, ids, strict=True))
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    positions = sorted(world.repos.changesets.get(i).queue_position or 0 for i in ids)
    assert positions == [1, 2, 3]


def test_concurrent_approvals_both_count() -> None:
    world = ChangesetWorld()
    app = world.repos.apps.get(world.app.id)
    settings = msgspec.structs.replace(app.settings, required_approvals=2)
    world.repos.apps.set_fields(app.id, app.version, {"settings": msgspec.to_builtins(settings)})
    cs = world.services.changesets.create(
        world.caller(world.alice), workspace_id=world.workspace.id, title="t"
    )
    world.write("a.json", b"{}")
    world.services.submit(world.caller(world.alice), cs.id, "submit")
    world.run_gates(passed=True)
    results = _together(
        lambda: world.services.review(
            world.caller(world.rev1), cs.id, ReviewDecision.APPROVED, None
        ),
        lambda: world.services.review(
            world.caller(world.rev2), cs.id, ReviewDecision.APPROVED, None
        ),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    stored = world.repos.changesets.get(cs.id)
    assert (stored.state, stored.approval_count) == (ChangesetState.APPROVED, 2)


def test_members_who_turned_mail_off_are_not_notified() -> None:
    world = ChangesetWorld()
    now = world.clock.now()
    world.repos.notification_preferences.insert(
        NotificationPreference(
            id=world.ids.new_id(),
            created_at=now,
            updated_at=now,
            user_id=world.rev1.id,
            email_enabled=False,
        )
    )
    cs = world.services.changesets.create(
        world.caller(world.alice), workspace_id=world.workspace.id, title="t"
    )
    world.write("a.json", b"{}")
    world.services.submit(world.caller(world.alice), cs.id, "submit")
    recipients = {o.recipient_user_id for o in world.repos.notification_outbox.all({})}
    assert recipients == {world.rev2.id, world.cm.id, world.root.id}


def test_a_failing_outbox_does_not_fail_the_submit(monkeypatch: pytest.MonkeyPatch) -> None:
    world = ChangesetWorld()

    def broken(doc: object) -> object:
        raise ServiceUnavailable("store down")

    monkeypatch.setattr(world.repos.notification_outbox, "insert", broken)
    cs = world.services.changesets.create(
        world.caller(world.alice), workspace_id=world.workspace.id, title="t"
    )
    world.write("a.json", b"{}")
    result = world.services.submit(world.caller(world.alice), cs.id, "submit")
    assert result.changeset.state is ChangesetState.SUBMITTED


def test_a_write_racing_the_submit_squash_restores_the_branch() -> None:
    world = ChangesetWorld()
    cs = world.services.changesets.create(
        world.caller(world.alice), workspace_id=world.workspace.id, title="t"
    )
    world.write("a.json", b"{}")
    branch = f"refs/heads/{world.workspace.branch_name}"
    head_before = world.git.resolve(world.repo, branch)
    real_squash = world.git.squash

    def squash_then_write(*args: Any, **kwargs: Any) -> str:
        sha = real_squash(*args, **kwargs)
        world.write("late.json", b"{}")  # lands between the squash and the ref delete
        return sha

    world.git.squash = squash_then_write  # type: ignore[method-assign]
    with pytest.raises(Exception, match="conflict"):
        world.services.submit(world.caller(world.alice), cs.id, "submit")
    assert world.git.resolve(world.repo, branch) == head_before
    assert world.repos.changesets.get(cs.id).state is ChangesetState.DRAFT
