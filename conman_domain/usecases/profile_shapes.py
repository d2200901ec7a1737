"""Runtime-profile use-case dependencies and response shapes, secrets masked (API.md §2
RuntimeProfile and ProfileRevision; DOMAIN.md §15.5).

Every view is built here, so secret plaintext can only leave the domain through
``RevealView``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import msgspec

from conman_domain.model.profiles import (
    ChangeKind,
    DatabaseSettings,
    DataStrategy,
    Lifecycle,
    MigrationSettings,
    ProfileKind,
    ProfileRevision,
    ProfileSnapshot,
    RuntimeProfile,
    SecretRecord,
    TypedValue,
)
from conman_domain.ports.jobs import JobQueuePort
from conman_domain.ports.secrets import CipherPort, SecretAad
from conman_domain.rules.masking import mask_secret
from conman_domain.usecases.identity import IdentityDeps

__all__ = [
    "ProfileDeps",
    "ProfileRevisionView",
    "RevealView",
    "RuntimeProfileView",
    "SecretView",
    "SnapshotView",
    "profile_view",
    "revision_view",
]


class ProfileDeps:
    """The identity dependencies (repositories, clock, ids, audit, public URL) plus the
    cipher and the job queue; ``on_enqueue(type)`` counts enqueued jobs."""

    def __init__(
        self,
        *,
        identity: IdentityDeps,
        cipher: CipherPort,
        jobs: JobQueuePort,
        on_enqueue: Callable[[str], None] | None = None,
    ) -> None:
        self.identity = identity
        self.repos = identity.repos
        self.clock = identity.clock
        self.ids = identity.ids
        self.audit = identity.audit
        self.cipher = cipher
        self.jobs = jobs
        self.on_enqueue = on_enqueue

    def aad(self, profile: RuntimeProfile, key: str) -> SecretAad:
        return SecretAad(app_id=profile.app_id, profile_id=profile.id, key=key)


class SecretView(msgspec.Struct, kw_only=True):
    """A masked secret; ``updated_at`` is null inside revision snapshots."""

    masked: str
    updated_at: datetime | None


class SnapshotView(msgspec.Struct, kw_only=True):
    """The content fields of RuntimeProfile, secrets masked."""

    name: str
    base_url: str | None
    env_vars: dict[str, TypedValue]
    secrets: dict[str, SecretView]
    database: DatabaseSettings
    migrations: MigrationSettings
    data_strategy: DataStrategy
    lifecycle: Lifecycle


class RuntimeProfileView(msgspec.Struct, kw_only=True):
    """API shape RuntimeProfile."""

    id: str
    app_id: str
    name: str
    kind: ProfileKind
    environment_id: str | None
    base_url: str | None
    env_vars: dict[str, TypedValue]
    secrets: dict[str, SecretView]
    database: DatabaseSettings
    migrations: MigrationSettings
    data_strategy: DataStrategy
    lifecycle: Lifecycle
    current_revision: int
    archived_at: datetime | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class ProfileRevisionView(msgspec.Struct, kw_only=True):
    """API shape ProfileRevision."""

    id: str
    runtime_profile_id: str
    revision_number: int
    change_kind: ChangeKind
    change_note: str | None
    source_release_id: str | None
    reverted_to_revision: int | None
    snapshot: SnapshotView
    created_by: str | None
    created_at: datetime


class RevealView(msgspec.Struct, kw_only=True):
    """``{key, value}``: the only shape that carries plaintext (no-store response)."""

    key: str
    value: str


def _masked(
    deps: ProfileDeps,
    app_id: str,
    profile_id: str,
    secrets: Mapping[str, SecretRecord],
    updated: Mapping[str, datetime],
) -> dict[str, SecretView]:
    out = {}
    for key, record in sorted(secrets.items()):
        aad = SecretAad(app_id=app_id, profile_id=profile_id, key=key)
        preview = mask_secret(deps.cipher.decrypt(record, aad))
        out[key] = SecretView(masked=preview, updated_at=updated.get(key))
    return out


def profile_view(deps: ProfileDeps, p: RuntimeProfile) -> RuntimeProfileView:
    return RuntimeProfileView(
        id=p.id,
        app_id=p.app_id,
        name=p.name,
        kind=p.kind,
        environment_id=p.environment_id,
        base_url=p.base_url,
        env_vars=dict(sorted(p.env_vars.items())),
        secrets=_masked(deps, p.app_id, p.id, p.secrets, p.secrets_updated_at),
        database=p.database,
        migrations=p.migrations,
        data_strategy=p.data_strategy,
        lifecycle=p.lifecycle,
        current_revision=p.current_revision,
        archived_at=p.archived_at,
        created_by=p.created_by,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def _snapshot_view(deps: ProfileDeps, rev: ProfileRevision) -> SnapshotView:
    s: ProfileSnapshot = rev.snapshot
    return SnapshotView(
        name=s.name,
        base_url=s.base_url,
        env_vars=dict(sorted(s.env_vars.items())),
        secrets=_masked(deps, rev.app_id, rev.runtime_profile_id, s.secrets, {}),
        database=s.database,
        migrations=s.migrations,
        data_strategy=s.data_strategy,
        lifecycle=s.lifecycle,
    )


def revision_view(deps: ProfileDeps, rev: ProfileRevision) -> ProfileRevisionView:
    return ProfileRevisionView(
        id=rev.id,
        runtime_profile_id=rev.runtime_profile_id,
        revision_number=rev.revision_number,
        change_kind=rev.change_kind,
        change_note=rev.change_note,
        source_release_id=rev.source_release_id,
        reverted_to_revision=rev.reverted_to_revision,
        snapshot=_snapshot_view(deps, rev),
        created_by=rev.created_by,
        created_at=rev.created_at,
    )
