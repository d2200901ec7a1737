"""Every entity survives the store's to_builtins/convert round trip (and JSON)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest

from conman_domain import model
from conman_domain.model.base import Entity

WHEN = datetime(2026, 2, 25, 10, 0, 0, 123000, tzinfo=UTC)

ENTITIES = sorted(
    (
        obj
        for name in model.__all__
        if isinstance(obj := getattr(model, name), type)
        and issubclass(obj, Entity)
        and obj.__module__ != "conman_domain.model.base"
    ),
    key=lambda t: t.__name__,
)


def _sample(t: mi.Type) -> Any:
    """A non-default sample value for a msgspec type description."""
    if isinstance(t, mi.StrType):
        return "x"
    if isinstance(t, mi.BoolType):
        return True
    if isinstance(t, mi.IntType):
        return 7
    if isinstance(t, mi.DateTimeType):
        return WHEN
    if isinstance(t, mi.EnumType):
        members = list(t.cls)
        return members[-1]
    if isinstance(t, mi.AnyType):
        return {"nested": [1, 2.5, None, "s"]}
    if isinstance(t, mi.ListType):
        return [_sample(t.item_type)]
    if isinstance(t, mi.DictType):
        return {"KEY": _sample(t.value_type)}
    if isinstance(t, mi.UnionType):
        for option in t.types:
            if not isinstance(option, mi.NoneType):
                return _sample(option)
    if isinstance(t, mi.StructType):
        return t.cls(**{f.name: _sample(f.type) for f in t.fields})
    raise AssertionError(f"no sample for {t!r}")


def _build(cls: type[Entity]) -> Entity:
    return _sample(mi.type_info(cls))  # type: ignore[no-any-return]


def test_every_entity_of_the_collections_table_is_modelled() -> None:
    names = {cls.__name__ for cls in ENTITIES}
    for expected in [
        "User", "App", "Membership", "Invite", "PasswordResetToken", "LoginThrottle",
        "RevokedToken", "NotificationPreference", "NotificationOutbox", "Environment",
        "RuntimeProfile", "ProfileRevision", "DriftAcknowledgement",
        "ChangesetProfileOverride", "MigrationExecution", "Workspace", "Changeset",
        "ChangesetRevision", "Review", "Comment", "CommentRevision", "Release",
        "ReleaseChangeset", "Deployment", "UsedApprovalToken", "TempEnvironment", "Job",
        "JobLog", "JobRunnerHeartbeat", "AuditEvent",
    ]:  # fmt: skip
        assert expected in names


@pytest.mark.parametrize("cls", ENTITIES, ids=lambda c: c.__name__)
def test_entity_round_trips_through_builtins_keeping_datetimes(cls: type[Entity]) -> None:
    entity = _build(cls)
    doc = msgspec.to_builtins(entity, builtin_types=(datetime,))
    assert isinstance(doc, dict)
    assert doc["id"] == "x"
    assert isinstance(doc["created_at"], datetime)
    assert all(not isinstance(v, enum.Enum) for v in doc.values())
    assert msgspec.convert(doc, cls) == entity


@pytest.mark.parametrize("cls", ENTITIES, ids=lambda c: c.__name__)
def test_entity_round_trips_through_json(cls: type[Entity]) -> None:
    entity = _build(cls)
    assert msgspec.json.decode(msgspec.json.encode(entity), type=cls) == entity


def test_app_settings_defaults_follow_the_settings_table() -> None:
    s = model.AppSettings()
    assert s.baseline_mode == "canonical_env_release"
    assert s.commit_mode_default == "submit_commit"
    assert s.blocked_paths == [".git/**", ".gitignore", ".github/**"]
    assert s.file_size_limit_bytes == 5_242_880
    assert s.required_approvals == 1
    assert s.runtime_profile_approval_policy == "stricter_two_approvals"
    assert s.validation_gates.submit == model.GateConfig(command=None, timeout_seconds=600)
    assert s.validation_gates.release == model.GateConfig(command=None, timeout_seconds=600)
    assert s.validation_gates.deploy == model.GateConfig(command=None, timeout_seconds=600)
    assert s.deploy_command == model.GateConfig(command=None, timeout_seconds=600)
    assert (s.temp_url_domain, s.temp_env_ttl_hours, s.temp_env_grace_hours) == (None, 24, 1)
    assert s.default_temp_base_profile_id is None


def test_default_blocked_paths_are_not_shared_between_settings() -> None:
    a, b = model.AppSettings(), model.AppSettings()
    a.blocked_paths.append("x")
    assert b.blocked_paths == [".git/**", ".gitignore", ".github/**"]


def test_unset_override_fields_are_omitted_and_restored() -> None:
    o = model.DatabaseOverride(connection_ref=None)
    doc = msgspec.to_builtins(o)
    assert doc == {"connection_ref": None}
    back = msgspec.convert(doc, model.DatabaseOverride)
    assert back == o
    assert back.fields_set() == ["connection_ref"]
    assert back.provisioning_mode is msgspec.UNSET


def test_roles_are_ordered_from_user_to_app_admin() -> None:
    order = [model.Role.USER, model.Role.REVIEWER, model.Role.CONFIG_MANAGER, model.Role.APP_ADMIN]
    assert [r.rank for r in order] == [0, 1, 2, 3]
    assert model.Role.APP_ADMIN.at_least(model.Role.REVIEWER)
    assert not model.Role.REVIEWER.at_least(model.Role.CONFIG_MANAGER)


def test_workspace_is_dirty_only_when_working_head_differs() -> None:
    ws = _build(model.Workspace)
    assert isinstance(ws, model.Workspace)
    assert not ws.dirty
    ws.working_sha = "y"
    assert ws.dirty
