"""The DriftReport shape and its categories (API.md §2; DOMAIN.md §15.9).

Categories compare the resolved applied state A (the profile and app_defaults revisions
of the last succeeded deployment) with the resolved desired state D (the current
revisions), app_defaults → profile with no release overrides. Secrets are compared by
plaintext in memory and reported by key only: a re-encryption alone is no drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import msgspec

from conman_domain.gitmodel import RepoRef
from conman_domain.model.environments import AppliedState
from conman_domain.model.profiles import TypedValue
from conman_domain.ports.git import GitPort
from conman_domain.ports.secrets import CipherPort, SecretAad
from conman_domain.rules.resolution import ResolvedProfile, SourcedSecret

__all__ = [
    "AppliedView",
    "BaseUrlChange",
    "DatabaseChange",
    "DecryptSecret",
    "DesiredView",
    "DriftCategories",
    "DriftReportView",
    "EnvVarChange",
    "EnvVarDrift",
    "EnvVarEntry",
    "MigrationDrift",
    "SecretDrift",
    "compare_resolved",
    "migration_drift",
    "migrations_enabled",
    "secret_decrypter",
    "tree_migration_ids",
]

DecryptSecret = Callable[[str, SourcedSecret], str]
"""``(key, secret) -> plaintext``: decrypts with the AAD of ``secret.profile_id``."""

_MIGRATION_TREE_LIMIT = 100_000
_DATABASE_FIELDS = ("engine", "connection_ref", "provisioning_mode", "base_profile_id")


class EnvVarEntry(msgspec.Struct, kw_only=True):
    key: str
    value: TypedValue


class EnvVarChange(msgspec.Struct, kw_only=True, rename={"from_": "from"}):
    key: str
    from_: TypedValue
    to: TypedValue


class EnvVarDrift(msgspec.Struct, kw_only=True):
    added: list[EnvVarEntry] = msgspec.field(default_factory=list)
    removed: list[EnvVarEntry] = msgspec.field(default_factory=list)
    changed: list[EnvVarChange] = msgspec.field(default_factory=list)


class SecretDrift(msgspec.Struct, kw_only=True):
    """Keys only: never a value."""

    added: list[str] = msgspec.field(default_factory=list)
    removed: list[str] = msgspec.field(default_factory=list)
    rotated: list[str] = msgspec.field(default_factory=list)


class BaseUrlChange(msgspec.Struct, kw_only=True, rename={"from_": "from"}):
    from_: str | None
    to: str | None


class DatabaseChange(msgspec.Struct, kw_only=True, rename={"from_": "from"}):
    field: str
    from_: Any
    to: Any


class MigrationDrift(msgspec.Struct, kw_only=True):
    pending: list[str] = msgspec.field(default_factory=list)
    unexpected: list[str] = msgspec.field(default_factory=list)


class DriftCategories(msgspec.Struct, kw_only=True):
    env_vars: EnvVarDrift = msgspec.field(default_factory=EnvVarDrift)
    secrets: SecretDrift = msgspec.field(default_factory=SecretDrift)
    base_url: BaseUrlChange | None = None
    database: list[DatabaseChange] = msgspec.field(default_factory=list)
    migrations: MigrationDrift = msgspec.field(default_factory=MigrationDrift)

    def any(self) -> bool:
        """True when any category is non-empty (``drifted``)."""
        env, sec, mig = self.env_vars, self.secrets, self.migrations
        return bool(
            env.added
            or env.removed
            or env.changed
            or sec.added
            or sec.removed
            or sec.rotated
            or self.base_url is not None
            or self.database
            or mig.pending
            or mig.unexpected
        )


class AppliedView(msgspec.Struct, kw_only=True):
    deployment_id: str
    release_id: str
    profile_revision_id: str | None
    profile_revision_number: int | None
    defaults_revision_id: str | None
    migration_ids: list[str]
    deployed_at: datetime

    @classmethod
    def of(cls, state: AppliedState, revision_number: int | None) -> AppliedView:
        """The view of E's applied state (``revision_number`` of its profile revision)."""
        return cls(
            deployment_id=state.deployment_id,
            release_id=state.release_id,
            profile_revision_id=state.profile_revision_id,
            profile_revision_number=revision_number,
            defaults_revision_id=state.defaults_revision_id,
            migration_ids=list(state.migration_ids),
            deployed_at=state.deployed_at,
        )


class DesiredView(msgspec.Struct, kw_only=True):
    release_id: str | None
    profile_revision_id: str | None
    profile_revision_number: int
    defaults_revision_id: str | None
    migration_ids: list[str]


class DriftReportView(msgspec.Struct, kw_only=True):
    """API shape DriftReport."""

    environment_id: str
    profile_id: str
    release_id: str | None
    checked_at: datetime
    applied: AppliedView | None
    desired: DesiredView
    drifted: bool
    acknowledged: bool
    blocking: bool
    categories: DriftCategories


def _env_var_drift(applied: dict[str, TypedValue], desired: dict[str, TypedValue]) -> EnvVarDrift:
    drift = EnvVarDrift()
    for key in sorted(set(applied) | set(desired)):
        old, new = applied.get(key), desired.get(key)
        if old is None and new is not None:
            drift.added.append(EnvVarEntry(key=key, value=new))
        elif new is None and old is not None:
            drift.removed.append(EnvVarEntry(key=key, value=old))
        elif old is not None and new is not None and old != new:
            drift.changed.append(EnvVarChange(key=key, from_=old, to=new))
    return drift


def _secret_drift(
    applied: dict[str, SourcedSecret], desired: dict[str, SourcedSecret], decrypt: DecryptSecret
) -> SecretDrift:
    drift = SecretDrift()
    for key in sorted(set(applied) | set(desired)):
        old, new = applied.get(key), desired.get(key)
        if old is None:
            drift.added.append(key)
        elif new is None:
            drift.removed.append(key)
        elif old != new and decrypt(key, old) != decrypt(key, new):
            drift.rotated.append(key)
    return drift


def compare_resolved(
    applied: ResolvedProfile, desired: ResolvedProfile, decrypt: DecryptSecret
) -> DriftCategories:
    """The env_vars, secrets, base_url and database categories of A → D (migrations
    are left empty: see ``migration_drift``)."""
    base_url = None
    if applied.base_url != desired.base_url:
        base_url = BaseUrlChange(from_=applied.base_url, to=desired.base_url)
    old_db = msgspec.to_builtins(applied.database)
    new_db = msgspec.to_builtins(desired.database)
    database = [
        DatabaseChange(field=f, from_=old_db.get(f), to=new_db.get(f))
        for f in _DATABASE_FIELDS
        if old_db.get(f) != new_db.get(f)
    ]
    return DriftCategories(
        env_vars=_env_var_drift(applied.env_vars, desired.env_vars),
        secrets=_secret_drift(applied.secrets, desired.secrets, decrypt),
        base_url=base_url,
        database=database,
    )


def migration_drift(desired_ids: Iterable[str], applied_ids: Iterable[str]) -> MigrationDrift:
    """pending = ids of D not applied, unexpected = applied ids not in D (by bytes)."""
    desired, applied = set(desired_ids), set(applied_ids)

    def by_bytes(ids: set[str]) -> list[str]:
        return sorted(ids, key=lambda i: i.encode())

    return MigrationDrift(
        pending=by_bytes(desired - applied), unexpected=by_bytes(applied - desired)
    )


def migrations_enabled(resolved: ResolvedProfile) -> bool:
    """Migrations run (and drift) only with repo_paths and a command_ref (§15.8)."""
    return bool(resolved.migrations.repo_paths) and resolved.migrations.command_ref is not None


def tree_migration_ids(
    git: GitPort, repo: RepoRef, sha: str, repo_paths: Iterable[str]
) -> list[str]:
    """The repo-relative files under ``repo_paths`` (recursive) at ``sha``, by bytes; a
    missing path has none, a path naming a file is that one id."""
    ids: set[str] = set()
    for raw in repo_paths:
        root = raw.strip("/")
        entry = git.get_entry(repo, sha, root)
        if entry is None:
            continue
        if entry.type == "blob":
            ids.add(root)
            continue
        page = git.list_tree(repo, sha, root, recursive=True, limit=_MIGRATION_TREE_LIMIT)
        ids.update(e.path for e in page.entries if e.type == "blob")
    return sorted(ids, key=lambda i: i.encode())


def secret_decrypter(cipher: CipherPort, app_id: str) -> DecryptSecret:
    """Decrypt a resolved secret with the AAD of the profile that holds it (in memory)."""

    def decrypt(key: str, secret: SourcedSecret) -> str:
        aad = SecretAad(app_id=app_id, profile_id=secret.profile_id, key=key)
        return cipher.decrypt(secret.record, aad)

    return decrypt
