"""Profile resolution and precedence (DOMAIN.md §15.3), in memory.

Layers apply in order, later ones winning: a base (app_defaults), then a profile (the
environment's or a temp env's base profile), then overrides. env_vars and secrets merge per
key and a removal entry deletes the key; the other fields come from the profile layer
unless an override sets them. Secrets keep the id of the profile whose AAD encrypts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec
from msgspec import UNSET

from conman_domain.model.overrides import OverrideOperation, OverrideSnapshot
from conman_domain.model.profiles import (
    DatabaseSettings,
    DataStrategy,
    Lifecycle,
    MigrationSettings,
    ProfileSnapshot,
    SecretRecord,
    TypedValue,
)

__all__ = [
    "ResolvedProfile",
    "SourcedSecret",
    "apply_env_var_overrides",
    "apply_override",
    "resolve_profile",
]


class SourcedSecret(msgspec.Struct, frozen=True, kw_only=True):
    """A secret record and the profile id its AAD names (for decryption)."""

    record: SecretRecord
    profile_id: str


class ResolvedProfile(msgspec.Struct, frozen=True, kw_only=True):
    base_url: str | None = None
    env_vars: dict[str, TypedValue] = msgspec.field(default_factory=dict)
    secrets: dict[str, SourcedSecret] = msgspec.field(default_factory=dict)
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    migrations: MigrationSettings = msgspec.field(default_factory=MigrationSettings)
    data_strategy: DataStrategy = msgspec.field(default_factory=DataStrategy)
    lifecycle: Lifecycle = msgspec.field(default_factory=Lifecycle)


def resolve_profile(
    defaults: tuple[str, ProfileSnapshot] | None,
    profile: tuple[str, ProfileSnapshot],
    overrides: Iterable[OverrideSnapshot] = (),
) -> ResolvedProfile:
    """app_defaults → profile → overrides (each ``(profile_id, snapshot)``)."""
    env_vars: dict[str, TypedValue] = {}
    secrets: dict[str, SourcedSecret] = {}
    for layer in (defaults, profile):
        if layer is None:
            continue
        pid, snap = layer
        env_vars.update(snap.env_vars)
        secrets.update(
            {k: SourcedSecret(record=r, profile_id=pid) for k, r in snap.secrets.items()}
        )
    snap = profile[1]
    resolved = ResolvedProfile(
        base_url=snap.base_url,
        env_vars=env_vars,
        secrets=secrets,
        database=snap.database,
        migrations=snap.migrations,
        data_strategy=snap.data_strategy,
        lifecycle=snap.lifecycle,
    )
    for override in overrides:
        resolved = apply_override(resolved, override)
    return resolved


def apply_env_var_overrides(
    resolved: ResolvedProfile, env_vars: Mapping[str, TypedValue | None]
) -> ResolvedProfile:
    """Set or (None) remove env vars, per key."""
    merged = dict(resolved.env_vars)
    for key, value in env_vars.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return msgspec.structs.replace(resolved, env_vars=merged)


def apply_override(resolved: ResolvedProfile, override: OverrideSnapshot) -> ResolvedProfile:
    """Apply one changeset override (DOMAIN.md §15.6) on top of ``resolved``."""
    result = apply_env_var_overrides(resolved, override.env_var_overrides_typed)
    secrets = dict(result.secrets)
    for key, op in override.secret_overrides_encrypted.items():
        if op.operation is OverrideOperation.REMOVE:
            secrets.pop(key, None)
        elif op.record is not None:
            secrets[key] = SourcedSecret(record=op.record, profile_id=override.target_profile_id)
    db = result.database
    dbo = override.database_overrides
    database = DatabaseSettings(
        engine=db.engine,
        connection_ref=db.connection_ref if dbo.connection_ref is UNSET else dbo.connection_ref,
        provisioning_mode=(
            db.provisioning_mode if dbo.provisioning_mode is UNSET else dbo.provisioning_mode
        ),
        base_profile_id=db.base_profile_id if dbo.base_profile_id is UNSET else dbo.base_profile_id,
    )
    ds = result.data_strategy
    dso = override.data_overrides
    data_strategy = DataStrategy(
        seed_mode=ds.seed_mode if dso.seed_mode is UNSET else dso.seed_mode,
        seed_source_ref=ds.seed_source_ref if dso.seed_source_ref is UNSET else dso.seed_source_ref,
    )
    return msgspec.structs.replace(
        result,
        secrets=secrets,
        base_url=override.base_url if override.base_url is not None else result.base_url,
        database=database,
        data_strategy=data_strategy,
    )
