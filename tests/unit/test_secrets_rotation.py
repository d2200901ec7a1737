"""``RotateMasterKey`` over real repositories (memory, SQLite and MongoStore over mongomock
stores), DOMAIN.md §15.4."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mongomock
import msgspec
import pytest

from conman_adapters.security import AesGcmCipher
from conman_adapters.store import (
    DocumentStore,
    MemoryStore,
    MongoStore,
    SqliteStore,
    build_repositories,
)
from conman_adapters.store.repositories import Repositories
from conman_domain.errors import Conflict, Internal, Validation
from conman_domain.model import (
    ChangeKind,
    ChangesetProfileOverride,
    ChangesetRevision,
    OverrideOperation,
    ProfileKind,
    ProfileRevision,
    RuntimeProfile,
    SecretOverride,
    SecretRecord,
)
from conman_domain.ports.repos import (
    ChangesetRevisionRepoPort,
    MutableRepoPort,
    ProfileRevisionRepoPort,
)
from conman_domain.ports.secrets import SecretAad
from conman_domain.usecases.secrets_rotation import RotateMasterKey

PREVIOUS = "previous master key, at least 32 bytes long"
CURRENT = "current master key, also at least 32 bytes"
NEW = "the new master key, at least 32 bytes long!"
APP = "a" * 24
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return T0

    def monotonic(self) -> float:
        return 0.0


_ids = itertools.count(1)


def new_id() -> str:
    return f"{next(_ids):024x}"


def aad(profile_id: str, key: str) -> SecretAad:
    return SecretAad(app_id=APP, profile_id=profile_id, key=key)


class World:
    """A profile with 2 secrets, one revision, one override and one changeset revision."""

    def __init__(self, repos: Repositories, name: str = "prod") -> None:
        self.repos = repos
        self.v1 = AesGcmCipher({1: PREVIOUS}, current=1)
        self.v2 = AesGcmCipher({1: PREVIOUS, 2: CURRENT}, current=2)
        self.ring = AesGcmCipher({1: PREVIOUS, 2: CURRENT, 3: NEW}, current=2)
        self.only_new = AesGcmCipher({3: NEW}, current=3)
        self.profile_id = new_id()
        self.plain: dict[tuple[str, str], str] = {}
        self.original: list[SecretRecord] = []
        db_url = self.seal(self.v2, self.profile_id, "DB_URL", "mongodb://u:p@db/prod")
        token = self.seal(self.v2, self.profile_id, "API_TOKEN", "tok-123456789")
        repos.runtime_profiles.insert(
            RuntimeProfile(
                id=self.profile_id, created_at=T0, updated_at=T0, app_id=APP, name=name,
                kind=ProfileKind.PERSISTENT_ENV, secrets={"DB_URL": db_url, "API_TOKEN": token},
            )
        )  # fmt: skip
        profile = repos.runtime_profiles.get(self.profile_id)
        # The revision was written before the last rotation: its record is under v1.
        old_token = self.seal(self.v1, self.profile_id, "OLD_TOKEN", "old-secret-value")
        snapshot = msgspec.structs.replace(
            profile.snapshot(), secrets={**profile.secrets, "OLD_TOKEN": old_token}
        )
        self.revision_id = new_id()
        repos.profile_revisions.insert(
            ProfileRevision(
                id=self.revision_id, created_at=T0, app_id=APP,
                runtime_profile_id=self.profile_id, revision_number=1,
                change_kind=ChangeKind.CREATED, snapshot=snapshot,
            )
        )  # fmt: skip
        token2 = self.seal(self.v2, self.profile_id, "API_TOKEN", "override-token")
        self.override_id = new_id()
        self.changeset_id = new_id()
        override = ChangesetProfileOverride(
            id=self.override_id, created_at=T0, updated_at=T0, app_id=APP,
            changeset_id=self.changeset_id, target_environment_id="e" * 24,
            target_profile_id=self.profile_id, created_by="u" * 24, updated_by="u" * 24,
            secret_overrides_encrypted={
                "API_TOKEN": SecretOverride(operation=OverrideOperation.SET, record=token2),
                "DB_URL": SecretOverride(operation=OverrideOperation.REMOVE),
            },
        )  # fmt: skip
        repos.profile_overrides.insert(override)
        self.changeset_revision_id = new_id()
        repos.changeset_revisions.insert(
            ChangesetRevision(
                id=self.changeset_revision_id, created_at=T0, changeset_id=self.changeset_id,
                revision_number=1, head_sha="1" * 40, base_sha="2" * 40,
                profile_overrides_snapshot=[override.snapshot()], created_by="u" * 24,
            )
        )  # fmt: skip

    def seal(self, cipher: AesGcmCipher, profile_id: str, key: str, value: str) -> SecretRecord:
        record = cipher.encrypt(value, aad(profile_id, key))
        self.plain[(record.nonce, key)] = value
        self.original.append(record)
        return record

    def stored(self) -> list[tuple[str, SecretRecord]]:
        """Every (key, record) in the four collections."""
        found = list(self.repos.runtime_profiles.get(self.profile_id).secrets.items())
        found += self.repos.profile_revisions.get(self.revision_id).snapshot.secrets.items()
        override = self.repos.profile_overrides.get(self.override_id)
        snapshots = self.repos.changeset_revisions.get(self.changeset_revision_id)
        for overrides in (
            override.secret_overrides_encrypted,
            snapshots.profile_overrides_snapshot[0].secret_overrides_encrypted,
        ):
            found += [(k, o.record) for k, o in overrides.items() if o.record is not None]
        return found


def make_store(kind: str, tmp_path: Path) -> DocumentStore:
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SqliteStore(tmp_path / "conman.db")
    return MongoStore("mongodb://mock", "conman", client=mongomock.MongoClient(tz_aware=True))


@pytest.fixture(params=["memory", "sqlite", "mongomock"])
def repos(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Repositories]:
    store = make_store(request.param, tmp_path)
    try:
        yield build_repositories(store, Clock())
    finally:
        store.close()


@pytest.fixture
def world(repos: Repositories) -> World:
    return World(repos)


def test_every_record_is_rewrapped_and_decrypts_with_only_the_new_key(world: World) -> None:
    report = RotateMasterKey(world.repos, world.ring)("v3")

    total = report.total()
    # profile 2 + revision 3 (one under the previous key) + override 1 + snapshot 1
    assert (total.records_rewrapped, total.records_current) == (7, 0)
    assert (total.documents_scanned, total.documents_updated) == (4, 4)
    assert report.collections["runtime_profile_revisions"].records_rewrapped == 3
    stored = world.stored()
    assert len(stored) == 7
    originals = {r.nonce: r for r in world.original}
    for key, record in stored:
        assert record.kid == "v3"
        before = originals[record.nonce]
        assert (record.ciphertext, record.v) == (before.ciphertext, before.v)
        assert record.wrapped_dek != before.wrapped_dek
        # Same AAD as before: app, (target) profile and key.
        plain = world.only_new.decrypt(record, aad(world.profile_id, key))
        assert plain == world.plain[(record.nonce, key)]


def test_a_record_under_the_previous_key_is_rewrapped_too(world: World) -> None:
    before = world.repos.profile_revisions.get(world.revision_id).snapshot.secrets["OLD_TOKEN"]
    assert before.kid == "v1"

    RotateMasterKey(world.repos, world.ring)("v3")

    record = world.repos.profile_revisions.get(world.revision_id).snapshot.secrets["OLD_TOKEN"]
    assert record.kid == "v3"
    plain = world.only_new.decrypt(record, aad(world.profile_id, "OLD_TOKEN"))
    assert plain == "old-secret-value"


def test_a_second_run_rewraps_nothing_and_changes_no_document(world: World) -> None:
    RotateMasterKey(world.repos, world.ring)("v3")
    version = world.repos.runtime_profiles.get(world.profile_id).version
    before = world.stored()

    again = RotateMasterKey(world.repos, world.ring)("v3").total()

    assert (again.records_rewrapped, again.records_current) == (0, 7)
    assert (again.documents_scanned, again.documents_updated) == (4, 0)
    assert world.stored() == before
    assert world.repos.runtime_profiles.get(world.profile_id).version == version


def test_the_current_kid_or_a_malformed_one_is_rejected(world: World) -> None:
    with pytest.raises(Validation):
        RotateMasterKey(world.repos, world.ring)("v2")
    with pytest.raises(Validation):
        RotateMasterKey(world.repos, world.ring)("3")
    assert all(record.kid != "v3" for _, record in world.stored())


def test_a_record_whose_key_is_not_configured_stops_the_run(world: World) -> None:
    # Without the previous key the revision's v1 record cannot be unwrapped.
    no_previous = AesGcmCipher({2: CURRENT, 3: NEW}, current=2)
    with pytest.raises(Internal):
        RotateMasterKey(world.repos, no_previous)("v3")


class RacingProfiles:
    """``runtime_profiles`` whose first ``set_fields`` loses to a concurrent edit."""

    def __init__(self, inner: MutableRepoPort[RuntimeProfile], world: World) -> None:
        self._inner = inner
        self._world = world
        self.writes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def set_fields(self, entity_id: str, expected_version: int, changes: Mapping[str, Any]) -> int:
        self.writes += 1
        if self.writes == 1:
            profile = self._inner.get(entity_id)
            added = self._world.seal(self._world.v2, entity_id, "ADDED", "added-concurrently")
            self._inner.save(
                msgspec.structs.replace(profile, secrets={**profile.secrets, "ADDED": added})
            )
        return self._inner.set_fields(entity_id, expected_version, changes)


class Repos:
    def __init__(
        self, base: Repositories, runtime_profiles: Any, overrides: Any | None = None
    ) -> None:
        self.runtime_profiles: MutableRepoPort[RuntimeProfile] = runtime_profiles
        self.profile_revisions: ProfileRevisionRepoPort = base.profile_revisions
        self.profile_overrides: MutableRepoPort[ChangesetProfileOverride] = (
            overrides or base.profile_overrides
        )
        self.changeset_revisions: ChangesetRevisionRepoPort = base.changeset_revisions


def test_a_concurrent_edit_is_retried_on_the_re_read_profile(world: World) -> None:
    racing = RacingProfiles(world.repos.runtime_profiles, world)

    report = RotateMasterKey(Repos(world.repos, racing), world.ring)("v3")

    assert racing.writes == 2
    profile = world.repos.runtime_profiles.get(world.profile_id)
    assert set(profile.secrets) == {"DB_URL", "API_TOKEN", "ADDED"}
    assert {r.kid for r in profile.secrets.values()} == {"v3"}
    added = world.only_new.decrypt(profile.secrets["ADDED"], aad(world.profile_id, "ADDED"))
    assert added == "added-concurrently"
    assert report.collections["runtime_profiles"].records_rewrapped == 3


def test_a_profile_that_never_stops_changing_ends_in_conflict(world: World) -> None:
    class AlwaysLosing(RacingProfiles):
        def set_fields(self, entity_id: str, expected_version: int, changes: Any) -> int:
            raise Conflict("changed concurrently")

    rotate = RotateMasterKey(
        Repos(world.repos, AlwaysLosing(world.repos.runtime_profiles, world)),
        world.ring,
        max_attempts=3,
    )
    with pytest.raises(Conflict):
        rotate("v3")


def test_an_override_deleted_during_the_run_is_skipped(world: World) -> None:
    class DeletedFirst:
        def __init__(self, inner: MutableRepoPort[ChangesetProfileOverride]) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

        def set_fields(self, entity_id: str, expected_version: int, changes: Any) -> int:
            self._inner.delete(entity_id)
            return self._inner.set_fields(entity_id, expected_version, changes)

    repos = Repos(
        world.repos, world.repos.runtime_profiles, DeletedFirst(world.repos.profile_overrides)
    )
    report = RotateMasterKey(repos, world.ring)("v3")

    assert report.collections["changeset_profile_overrides"].documents_updated == 0
    assert report.collections["changeset_revisions"].records_rewrapped == 1


def test_a_revision_rewrap_is_a_compare_and_set_on_the_old_records(world: World) -> None:
    revisions = world.repos.profile_revisions
    stale = revisions.get(world.revision_id).snapshot.secrets
    RotateMasterKey(world.repos, world.ring)("v3")
    rewrapped = {k: world.ring.rewrap(r, "v3") for k, r in stale.items()}

    with pytest.raises(Conflict):
        revisions.rewrap_secrets(world.revision_id, stale, rewrapped)


def test_listing_pages_cover_every_document(repos: Repositories) -> None:
    worlds = [World(repos, name) for name in ("prod", "stage", "dev")]
    report = RotateMasterKey(repos, worlds[0].ring, batch_size=2)("v3")

    assert report.collections["runtime_profiles"].documents_scanned == 3
    assert report.total().records_rewrapped == 21
    assert all(r.kid == "v3" for w in worlds for _, r in w.stored())
