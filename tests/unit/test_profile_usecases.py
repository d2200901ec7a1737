"""Runtime-profile use cases: merge rules, compare-and-set races, revision uniqueness
and secret handling (API.md §7; DOMAIN.md §15.2, §15.4, §15.7)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from msgspec import UNSET

from conman_adapters.config import load_settings
from conman_adapters.container import build_container
from conman_domain.errors import (
    Conflict,
    Forbidden,
    Internal,
    NotFound,
    ServiceUnavailable,
    Validation,
)
from conman_domain.model import ProfileRevision, Role, RuntimeProfile
from conman_domain.model.profiles import (
    ChangeKind,
    ProfileKind,
    ProfileSnapshot,
    SecretRecord,
    TypedValue,
    ValueType,
)
from conman_domain.ports.repos import MutableRepoPort
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.changeset_deps import Caller
from conman_domain.usecases.identity import IdentityDeps
from conman_domain.usecases.profile_input import (
    LifecyclePatch,
    ProfilePatch,
    apply_patch,
    check_patch,
)
from conman_domain.usecases.profile_shapes import ProfileDeps
from conman_domain.usecases.profiles import ProfilesService

SECRET = "mongodb://user:pa55@db.example.com/app"


class World:
    """One app created through the apps use case (defaults + four environments)."""

    def __init__(self, tmp_path: Path) -> None:
        settings = load_settings(
            {"CONMAN_JWT_SECRET": "j" * 40, "CONMAN_SECRETS_MASTER_KEY": "m" * 40}, cwd=tmp_path
        )
        self.container = build_container(settings, backend="memory", git_backend="memory")
        identity = self.container.identity()
        self.deps: ProfileDeps = self.container.profiles()._d
        self.repos = self.deps.repos
        owner = identity.auth.create_user("root@example.com", "Root", "p" * 12, Actor())
        view = identity.apps.create(
            owner, Actor(user_id=owner.id), name="demo", repo_path="r/demo",
            integration_branch="main",
        )  # fmt: skip
        self.app = self.repos.apps.get(view.id)
        self.caller = Caller(app=self.app, actor=Actor(user_id=owner.id), role=Role.APP_ADMIN)
        self.service = ProfilesService(self.deps)

    def with_repos(self, **overrides: Any) -> ProfilesService:
        """The service over the same repositories except ``overrides``."""
        real = self.deps.identity
        repos = _Repos(real.repos, overrides)
        identity = IdentityDeps(
            repos=repos, clock=real.clock, ids=real.ids, hasher=real.hasher,  # type: ignore[arg-type]
            tokens=real.tokens, audit=real.audit, config=real.config,
        )  # fmt: skip
        return ProfilesService(ProfileDeps(identity=identity, cipher=self.deps.cipher,
                                           jobs=self.deps.jobs))  # fmt: skip


class _Repos:
    def __init__(self, real: object, overrides: dict[str, Any]) -> None:
        self._real, self._overrides = real, overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides.get(name) or getattr(self._real, name)


class _RacingProfiles:
    """Runtime profiles whose every read is followed by another writer's update."""

    def __init__(self, real: MutableRepoPort[RuntimeProfile]) -> None:
        self._real = real

    def find_one(self, where: Any, sort: Any = None) -> RuntimeProfile | None:
        found = self._real.find_one(where, sort)
        if found is not None and "id" in where:
            self._real.set_fields(found.id, found.version, {"base_url": "https://x.example.com"})
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    yield World(tmp_path)


def test_a_lost_compare_and_set_race_is_a_conflict_and_writes_no_revision(w: World) -> None:
    profile = w.service.create(w.caller, ProfileKind.PERSISTENT_ENV, ProfilePatch(name="one"))
    racing = w.with_repos(runtime_profiles=_RacingProfiles(w.repos.runtime_profiles))
    patch = ProfilePatch(env_vars={"A": TypedValue(type=ValueType.STRING, value="a")})
    with pytest.raises(Conflict):
        racing.update(w.caller, profile.id, patch)
    with pytest.raises(Conflict):
        racing.rotate_key(w.caller, profile.id)
    assert w.repos.profile_revisions.count({"runtime_profile_id": profile.id}) == 1
    assert w.repos.runtime_profiles.get(profile.id).current_revision == 1


def test_a_taken_revision_number_is_a_conflict_and_the_profile_is_put_back(w: World) -> None:
    view = w.service.create(w.caller, ProfileKind.PERSISTENT_ENV, ProfilePatch(name="one"))
    stored = w.repos.runtime_profiles.get(view.id)
    now = w.deps.clock.now()
    w.repos.profile_revisions.insert(
        ProfileRevision(
            id=w.deps.ids.new_id(), created_at=now, app_id=w.app.id, runtime_profile_id=view.id,
            revision_number=2, change_kind=ChangeKind.UPDATED, snapshot=stored.snapshot(),
        )
    )  # fmt: skip
    with pytest.raises(Conflict):
        w.service.update(w.caller, view.id, ProfilePatch(base_url="https://a.example.com"))
    after = w.repos.runtime_profiles.get(view.id)
    assert (after.current_revision, after.base_url) == (1, None)


def test_secrets_are_encrypted_for_their_own_profile_and_key(w: World) -> None:
    view = w.service.create(
        w.caller, ProfileKind.PERSISTENT_ENV, ProfilePatch(name="one", secrets={"URI": SECRET})
    )
    record = w.repos.runtime_profiles.get(view.id).secrets["URI"]
    assert view.secrets["URI"].masked == "mong****/app"
    assert w.service.reveal(w.caller, view.id, "URI").value == SECRET
    moved = w.service.create(w.caller, ProfileKind.PERSISTENT_ENV, ProfilePatch(name="two"))
    stored = w.repos.runtime_profiles.get(moved.id)
    stored.secrets = {"URI": record}
    w.repos.runtime_profiles.save(stored)
    with pytest.raises(Internal, match="decryption failed for key URI") as caught:
        w.service.get(w.caller, moved.id)
    assert SECRET not in str(caught.value)


def test_only_app_admins_pass_the_domain_checks(w: World) -> None:
    view = w.service.create(w.caller, ProfileKind.PERSISTENT_ENV, ProfilePatch(name="one"))
    cm = Caller(app=w.app, actor=w.caller.actor, role=Role.CONFIG_MANAGER)
    with pytest.raises(Forbidden):
        w.service.reveal(cm, view.id, "X")
    with pytest.raises(Forbidden):
        w.service.update(cm, view.id, ProfilePatch(name="two"))
    assert w.service.get(cm, view.id).name == "one"


def test_revert_and_reveal_report_missing_revisions_and_keys(w: World) -> None:
    view = w.service.create(w.caller, ProfileKind.PERSISTENT_ENV, ProfilePatch(name="one"))
    with pytest.raises(NotFound, match="runtime profile revision 5"):
        w.service.revert(w.caller, view.id, 5, None)
    with pytest.raises(NotFound, match="secret X"):
        w.service.reveal(w.caller, view.id, "X")
    with pytest.raises(Validation):
        w.service.revert(w.caller, view.id, 1, "n" * 501)


def _plain(key: str, plaintext: str) -> SecretRecord:
    return SecretRecord(kid="v1", wrapped_dek=key, nonce="n", ciphertext=plaintext)


def test_apply_patch_merges_per_key_and_per_field() -> None:
    current = ProfileSnapshot(
        name="p",
        base_url="https://a.example.com",
        env_vars={"A": TypedValue(type=ValueType.STRING, value="a")},
        secrets={"S": _plain("S", "s"), "T": _plain("T", "t")},
    )
    patch = ProfilePatch(
        base_url=None,
        env_vars={"A": None, "B": TypedValue(type=ValueType.BOOLEAN, value=True)},
        secrets={"S": None, "U": "u", "GONE": None},
        lifecycle=LifecyclePatch(grace_hours=5),
    )
    merged = apply_patch(current, patch, _plain)
    assert merged.content.base_url is None
    assert merged.content.env_vars == {"B": TypedValue(type=ValueType.BOOLEAN, value=True)}
    assert merged.content.secrets == {"T": _plain("T", "t"), "U": _plain("U", "u")}
    assert (merged.secrets_set, merged.secrets_removed) == (["U"], ["S"])
    assert merged.content.lifecycle.grace_hours == 5
    assert merged.content.lifecycle.auto_cleanup is True
    assert merged.content.name == "p"


def test_check_patch_normalizes_numbers_and_refuses_empty_patches() -> None:
    patch = ProfilePatch(env_vars={"N": TypedValue(type=ValueType.NUMBER, value=3)})
    normalized = check_patch(patch, create=False)
    assert normalized.env_vars != UNSET
    assert isinstance(normalized.env_vars, dict)
    value = normalized.env_vars["N"]
    assert value is not None and isinstance(value.value, float)
    with pytest.raises(Validation, match="at least one content field"):
        check_patch(ProfilePatch(change_note="only"), create=False)
    with pytest.raises(Validation, match=r"env_vars\.N"):
        check_patch(ProfilePatch(name="x", env_vars={"N": None}), create=True)


class _BrokenMemberships:
    def all(self, where: Any, sort: Any = ()) -> list[Any]:
        raise ServiceUnavailable("store down")


def test_a_failed_notification_is_logged_and_the_direct_edit_still_lands(
    w: World, caplog: pytest.LogCaptureFixture
) -> None:
    env = w.repos.environments.all({"app_id": w.app.id}, sort=(("position", 1),))[0]
    service = w.with_repos(memberships=_BrokenMemberships())
    patch = ProfilePatch(env_vars={"A": TypedValue(type=ValueType.STRING, value="a")})
    view = service.update(w.caller, env.runtime_profile_id, patch)
    assert view.current_revision == 2
    assert "could not emit runtime_profile_changed" in caplog.text
    jobs = w.deps.jobs.list({"job_type": "runtime_profile_drift_check"}).items
    assert [j.entity_id for j in jobs] == [env.id]
